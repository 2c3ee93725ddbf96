// Opens one connection per host (up to `forks` at a time) and, when the run asks for it, takes
// each host's run lock; closes them all after, also when opening went wrong. A host that cannot
// be reached, or whose lock another run holds past the wait, is set aside with the reason, and
// the others go on: withReachableSessions. verify wants every host or none: withSessions.
import { ConnectError, detailOf, HostLockedError, MeshctlError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection } from '../transport/connection.js';
import { takeRunLock, type RunLock } from '../transport/run-lock.js';
import { mapLimit } from './map-limit.js';

export type Connector<H = Host> = (host: H) => Promise<Connection>;

/** What sessions need of a host: its name (the inventory's Host, or a test's stand-in). */
export interface NamedHost {
  name: string;
}

export interface LockOptions {
  /** Seconds to wait, in all, for hosts that another run holds. */
  timeoutSeconds: number;
  /** Who this run is, written into each lock it holds: runLockHolder(). */
  holder: string;
  /** Told when a host is locked by another run and this one is going to wait for it. */
  onWait?: (host: string, holder: string) => void;
  /** The lock file on every host (tests use their own). */
  path?: string;
}

export interface SessionOptions {
  /** How many hosts are connected at once. */
  forks: number;
  /** Take each host's run lock before anything runs there (up, down, exec --lock). */
  lock?: LockOptions;
}

export interface Sessions {
  /** The hosts to work on, in the order given: connected, and locked when the run locks. */
  connections: Map<string, Connection>;
  /** Hosts that could not be reached or would not let meshctl in, with the reason. */
  unreachable: Map<string, string>;
  /** Hosts reached but left alone, since their run lock could not be taken, with the reason. */
  notLocked: Map<string, string>;
  /** The run locks held, which closeSessions lets go of. */
  locks: Map<string, RunLock>;
}

/**
 * A host that cannot be reached (a MeshctlError) is recorded in `unreachable`, one whose lock
 * cannot be taken in `notLocked`. Any other error is a bug: no further host is connected, the
 * connections already open are closed, and it is thrown.
 */
export async function openSessions<H extends NamedHost>(hosts: readonly H[], connect: Connector<H>, options: SessionOptions): Promise<Sessions> {
  const sessions: Sessions = { connections: new Map(), unreachable: new Map(), notLocked: new Map(), locks: new Map() };
  const opened = new Map<string, Connection>();
  try {
    await mapLimit(hosts, options.forks, async (host) => {
      try {
        opened.set(host.name, await connect(host));
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        sessions.unreachable.set(host.name, detailOf(error));
      }
    });
    for (const host of hosts) {
      const conn = opened.get(host.name);
      if (conn !== undefined) sessions.connections.set(host.name, conn);
    }
    if (options.lock !== undefined) await lockInOrder(sessions, options.lock, options.forks);
  } catch (error) {
    await closeSessions({ ...sessions, connections: opened });
    throw error;
  }
  return sessions;
}

/** Lets go of every run lock held, then closes every connection. */
export async function closeSessions(sessions: Sessions): Promise<void> {
  await Promise.allSettled([...sessions.locks.values()].map((lock) => lock.release()));
  sessions.locks.clear();
  await Promise.allSettled([...sessions.connections.values()].map((conn) => conn.close()));
}

/**
 * Takes the lock of every connected host in one order (by name), so that two runs can never each
 * hold a host the other waits for. First every host is tried at once, without waiting: with no
 * other run about, that is all. When some are held, this run lets go of every host from the
 * first held one on and takes those one at a time, each waiting what is left of the timeout: so
 * it only ever waits while holding hosts that come before the one it waits for.
 */
async function lockInOrder(sessions: Sessions, lock: LockOptions, forks: number): Promise<void> {
  const deadline = Date.now() + lock.timeoutSeconds * 1000;
  const order = [...sessions.connections.keys()].sort();
  /** Locks `name`, or sets it aside; a HostLockedError comes back, to be handled by the caller. */
  const take = async (name: string, waitSeconds: number): Promise<HostLockedError | undefined> => {
    const conn = sessions.connections.get(name);
    if (conn === undefined) return undefined;
    const onWait = (holder: string): void => lock.onWait?.(name, holder);
    try {
      sessions.locks.set(name, await takeRunLock(conn, { holder: lock.holder, waitSeconds, onWait, ...(lock.path === undefined ? {} : { path: lock.path }) }));
      return undefined;
    } catch (error) {
      if (error instanceof HostLockedError) return error;
      if (!(error instanceof MeshctlError)) throw error;
      await setAside(sessions, name, error instanceof ConnectError ? 'unreachable' : 'notLocked', detailOf(error));
      return undefined;
    }
  };

  const tried = await mapLimit(order, forks, (name) => take(name, 0));
  const firstHeld = tried.findIndex((outcome) => outcome !== undefined);
  if (firstHeld === -1) return;
  const rest = order.slice(firstHeld);
  await Promise.all(rest.map(async (name) => {
    await sessions.locks.get(name)?.release();
    sessions.locks.delete(name);
  }));
  for (const name of rest) {
    const held = await take(name, Math.max(0, (deadline - Date.now()) / 1000));
    if (held !== undefined) {
      await setAside(sessions, name, 'notLocked', `locked by ${held.holder} (still locked after waiting ${lock.timeoutSeconds}s, --lock-timeout)`);
    }
  }
}

async function setAside(sessions: Sessions, name: string, why: 'unreachable' | 'notLocked', reason: string): Promise<void> {
  const conn = sessions.connections.get(name);
  sessions.connections.delete(name);
  sessions[why].set(name, reason);
  await conn?.close().catch(() => undefined);
}

/** Runs `fn` with the hosts that could be reached (and locked, when asked); closes all after. */
export async function withReachableSessions<H extends NamedHost, T>(
  hosts: readonly H[],
  connect: Connector<H>,
  options: SessionOptions,
  fn: (sessions: Sessions) => Promise<T>,
): Promise<T> {
  const sessions = await openSessions(hosts, connect, options);
  try {
    return await fn(sessions);
  } finally {
    await closeSessions(sessions);
  }
}

export type SessionOutcome<T> =
  | { connected: true; value: T }
  | { connected: false; unreachable: Map<string, string> };

/** Runs `fn` with every host connected, or not at all: one unreachable host stops the run untouched. */
export async function withSessions<H extends NamedHost, T>(
  hosts: readonly H[],
  connect: Connector<H>,
  options: SessionOptions,
  fn: (connections: Map<string, Connection>) => Promise<T>,
): Promise<SessionOutcome<T>> {
  const sessions = await openSessions(hosts, connect, options);
  try {
    const setAside = new Map([...sessions.unreachable, ...sessions.notLocked]);
    if (setAside.size > 0) return { connected: false, unreachable: setAside };
    return { connected: true, value: await fn(sessions.connections) };
  } finally {
    await closeSessions(sessions);
  }
}

/** For withSessions: one line per host that could not be connected, then what that meant. */
export function describeUnreachable(unreachable: ReadonlyMap<string, string>): string {
  const lines = [...unreachable].map(([name, reason]) => `cannot connect: ${name}: ${reason}`);
  lines.push(`Nothing was changed: ${unreachable.size} host(s) could not be reached or would not let meshctl in.`);
  return lines.join('\n');
}
