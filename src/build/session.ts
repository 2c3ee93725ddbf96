// A build on the inventory's build host: the first host of group `build`, else the first host,
// over meshctl's own SSH session, holding that host's run lock (two builds, or a build and an
// `up`, never share its work directory).
import { ConnectError, TaskError } from '../errors.js';
import { withReachableSessions } from '../engine/sessions.js';
import type { Connector } from '../engine/sessions.js';
import type { Host, Inventory } from '../inventory/types.js';
import { runLockHolder } from '../transport/run-lock.js';
import { buildOvs, type BuildOutcome, type BuildRequest } from './ovs.js';

export const BUILD_GROUP = 'build';

export function buildHostOf(inventory: Pick<Inventory, 'hosts'>): Host {
  const host = inventory.hosts.find((candidate) => candidate.groups.includes(BUILD_GROUP)) ?? inventory.hosts[0];
  // The schema wants at least one host.
  if (host === undefined) throw new Error('an inventory without hosts');
  return host;
}

export interface BuildSessionOptions {
  connect: Connector;
  cacheRoot: string;
  lockTimeout: number;
  log: (line: string) => void;
}

export async function buildOnBuildHost(inventory: Inventory, request: BuildRequest, options: BuildSessionOptions): Promise<BuildOutcome> {
  const host = buildHostOf(inventory);
  options.log(`build host: ${host.name}${host.groups.includes(BUILD_GROUP) ? ` (group ${BUILD_GROUP})` : ' (the first host; put one in group build to choose)'}`);
  const lock = { timeoutSeconds: options.lockTimeout, holder: runLockHolder(), onWait: (name: string, holder: string) => options.log(`waiting for ${name}: locked by ${holder}`) };
  return withReachableSessions([host], options.connect, { forks: 1, lock }, async (sessions) => {
    const conn = sessions.connections.get(host.name);
    if (conn === undefined) {
      const reason = sessions.unreachable.get(host.name) ?? sessions.notLocked.get(host.name) ?? 'not connected';
      if (sessions.unreachable.has(host.name)) throw new ConnectError(host.name, 'unreachable', reason);
      throw new TaskError(host.name, 'build ovs', reason);
    }
    return buildOvs(conn, request, { cacheRoot: options.cacheRoot, log: options.log });
  });
}
