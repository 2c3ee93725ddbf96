// `meshctl sandbox stop|start|restart HOST`: power one sandbox host off, on, or reboot it (for fault tests).
// Example: `await sandboxHostAction({ inventoryPath: 'lab.yaml', action: 'restart', host: 'node2', log })`.
import { ensureEngine } from './docker-engine.js';
import { startHost, stopHost, waitForHostSsh } from './hosts.js';
import { sandboxLayout } from './layout.js';
import { existingState, recordedHost } from './state.js';

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
  const state = await existingState(layout.statePath, options.inventoryPath);
  const host = recordedHost(state, options.host);
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
