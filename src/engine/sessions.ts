// Opens one connection per host (up to `forks` at a time) before anything runs; closes them all
// after, also when opening itself went wrong.
import { ConnectError, MeshctlError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection } from '../transport/connection.js';
import { mapLimit } from './map-limit.js';

export type Connector<H = Host> = (host: H) => Promise<Connection>;

/** What sessions need of a host: its name (the inventory's Host, or a test's stand-in). */
export interface NamedHost {
  name: string;
}

export interface Sessions {
  connections: Map<string, Connection>;
  /** Hosts that could not be reached, with the reason. */
  unreachable: Map<string, string>;
}

export interface SessionOptions {
  /** How many hosts are connected at once. */
  forks: number;
}

/**
 * A host that cannot be reached (a MeshctlError) is recorded in `unreachable`. Any other error is
 * a bug: no further host is connected, the connections already open are closed, and it is thrown.
 */
export async function openSessions<H extends NamedHost>(hosts: readonly H[], connect: Connector<H>, options: SessionOptions): Promise<Sessions> {
  const sessions: Sessions = { connections: new Map(), unreachable: new Map() };
  try {
    await mapLimit(hosts, options.forks, async (host) => {
      try {
        sessions.connections.set(host.name, await connect(host));
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        sessions.unreachable.set(host.name, error instanceof ConnectError ? error.message : `${host.name}: ${error.message}`);
      }
    });
  } catch (error) {
    await closeSessions(sessions);
    throw error;
  }
  return sessions;
}

export async function closeSessions(sessions: Sessions): Promise<void> {
  await Promise.allSettled([...sessions.connections.values()].map((conn) => conn.close()));
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
    if (sessions.unreachable.size > 0) return { connected: false, unreachable: sessions.unreachable };
    return { connected: true, value: await fn(sessions.connections) };
  } finally {
    await closeSessions(sessions);
  }
}

/** One line per host that could not be connected, then what that meant for the run. */
export function describeUnreachable(unreachable: ReadonlyMap<string, string>): string {
  const lines = [...unreachable.values()].map((reason) => `cannot connect: ${reason}`);
  lines.push(`Nothing was changed: ${unreachable.size} host(s) could not be reached or would not let meshctl in.`);
  return lines.join('\n');
}
