// Opens one connection per host, all at once, before anything runs; closes them all after.
import { ConnectError, MeshctlError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection } from '../transport/connection.js';

export type Connector = (host: Host) => Promise<Connection>;

export interface Sessions {
  connections: Map<string, Connection>;
  /** Hosts that could not be reached, with the reason. */
  unreachable: Map<string, string>;
}

export async function openSessions(hosts: readonly Host[], connect: Connector): Promise<Sessions> {
  const connections = new Map<string, Connection>();
  const unreachable = new Map<string, string>();
  await Promise.all(
    hosts.map(async (host) => {
      try {
        connections.set(host.name, await connect(host));
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        unreachable.set(host.name, error instanceof ConnectError ? error.message : `${host.name}: ${error.message}`);
      }
    }),
  );
  return { connections, unreachable };
}

export async function closeSessions(sessions: Sessions): Promise<void> {
  await Promise.allSettled([...sessions.connections.values()].map((conn) => conn.close()));
}

export type SessionOutcome<T> =
  | { connected: true; value: T }
  | { connected: false; unreachable: Map<string, string> };

/** Runs `fn` with every host connected, or not at all: one unreachable host stops the run untouched. */
export async function withSessions<T>(
  hosts: readonly Host[],
  connect: Connector,
  fn: (connections: Map<string, Connection>) => Promise<T>,
): Promise<SessionOutcome<T>> {
  const sessions = await openSessions(hosts, connect);
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
