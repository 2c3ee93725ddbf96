// `meshctl sandbox remove HOST`: removes one host's container (with its volume) and its entry in
// the inventory; the other hosts and the rest of the file are left as they are. The host's slice
// in the allocation record is freed by the next `up`, which also drops the peers' tunnels to it.
// Example: `await sandboxRemove({ host: 'node2', inventoryPath: 'lab.yaml', log })`.
import { UsageError } from '../errors.js';
import { ensureEngine } from './docker-engine.js';
import { removeContainers } from './hosts.js';
import { removeInventoryHost } from './inventory-edit.js';
import { readInventory, replaceInventory } from './inventory-file.js';
import { forgetHostKey } from './keys.js';
import { sandboxLayout } from './layout.js';
import { existingState, recordedHost, writeState } from './state.js';

export interface SandboxRemoveOptions {
  /** Inventory name (node2) or container name. */
  host: string;
  inventoryPath: string;
  log: (line: string) => void;
}

export async function sandboxRemove(options: SandboxRemoveOptions): Promise<void> {
  const { log } = options;
  const layout = sandboxLayout(options.inventoryPath);
  const state = await existingState(layout.statePath, options.inventoryPath);
  const host = recordedHost(state, options.host);
  if (state.hosts.length === 1) {
    throw new UsageError(`${host.name} is the only host of sandbox ${state.name}: remove the whole sandbox with \`meshctl sandbox down -i ${options.inventoryPath}\``);
  }
  const edit = removeInventoryHost(await readInventory(layout.inventoryPath, options.inventoryPath), host, options.inventoryPath);

  await ensureEngine(log);
  await removeContainers([host.container]);
  await forgetHostKey(state.knownHosts, host.address);
  await writeState(layout.statePath, { ...state, hosts: state.hosts.filter((h) => h !== host) });
  if (edit.removed === undefined) {
    log(`${host.name}: container removed; ${layout.inventoryPath} has no entry for ${host.address}, left as it is`);
    return;
  }
  await replaceInventory(layout.inventoryPath, edit.text);
  log(`${host.name}: container and inventory entry ${edit.removed} removed; the next \`meshctl up\` frees its slice and drops its tunnels`);
}
