// `meshctl sandbox stop|start|restart HOST`: power one sandbox host off, on, or reboot it (for fault tests).
// Example: `await sandboxHostAction({ inventoryPath: 'lab.yaml', action: 'restart', host: 'node2', log })`.
import { UsageError } from '../errors.js';
import { ensureEngine } from './docker-engine.js';
import { startHost, stopHost, waitForHostSsh } from './hosts.js';
import { sandboxLayout } from './layout.js';
import { readState } from './state.js';

export type HostAction = 'stop' | 'start' | 'restart';

export interface SandboxHostActionOptions {
  inventoryPath: string;
  action: HostAction;
  /** Inventory name (node2) or container name. */
  host: string;
  log: (line: string) => void;
}

export async function sandboxHostAction(options: SandboxHostActionOptions): Promise<void> {
  const { log, action } = options;
  const layout = sandboxLayout(options.inventoryPath);
  const state = await readState(layout.statePath);
  if (state === undefined) {
    throw new UsageError(`no sandbox for ${layout.inventoryPath}: run \`meshctl sandbox up -i ${options.inventoryPath}\` first`);
  }
  const host = state.hosts.find((h) => h.name === options.host || h.container === options.host);
  if (host === undefined) {
    throw new UsageError(`no host "${options.host}" in sandbox ${state.name}: use one of ${state.hosts.map((h) => h.name).join(', ')}`);
  }
  await ensureEngine(log);
  const underlay = { network: state.networks.underlay.name, address: host.underlayAddress };
  const started = Date.now();
  if (action === 'stop' || action === 'restart') {
    log(`${host.name}: stopping`);
    await stopHost(host.container);
  }
  if (action === 'start' || action === 'restart') {
    log(`${host.name}: starting`);
    await startHost(host.container, underlay);
    await waitForHostSsh(host.container, host.address);
  }
  log(`${host.name}: ${action} done in ${Math.round((Date.now() - started) / 1000)}s`);
}
