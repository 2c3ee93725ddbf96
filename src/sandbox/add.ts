// `meshctl sandbox add --hosts K`: K more hosts in an existing sandbox (the next names and
// addresses, its image, networks and key) and their entries appended to its inventory; the
// other hosts and the rest of the file are left as they are.
// Example: `await sandboxAdd({ hosts: 1, inventoryPath: 'lab.yaml', log })` → [node4].
import { UsageError } from '../errors.js';
import { ensureEngine } from './docker-engine.js';
import { bringUpHost, hostSpec } from './hosts.js';
import { addInventoryHosts } from './inventory-edit.js';
import { readInventory, replaceInventory } from './inventory-file.js';
import { ensureKeyPair } from './keys.js';
import { sandboxLayout } from './layout.js';
import { nextHosts } from './new-hosts.js';
import { existingState, writeState, type SandboxHost } from './state.js';
import { reuseState } from './up.js';

export interface SandboxAddOptions {
  hosts: number;
  inventoryPath: string;
  log: (line: string) => void;
}

export async function sandboxAdd(options: SandboxAddOptions): Promise<SandboxHost[]> {
  const { log } = options;
  if (!Number.isInteger(options.hosts) || options.hosts < 1) throw new UsageError(`--hosts must be a whole number of at least 1, not ${options.hosts}`);
  const layout = sandboxLayout(options.inventoryPath);
  const recorded = await existingState(layout.statePath, options.inventoryPath);
  const added = nextHosts(recorded, options.hosts);
  // Refused here (a name taken by hand, YAML that no longer parses) before any container starts.
  const text = addInventoryHosts(await readInventory(layout.inventoryPath, options.inventoryPath), added, options.inventoryPath);

  await ensureEngine(log);
  const started = Date.now();
  const state = await reuseState(recorded, log);
  const grown = { ...state, hosts: [...state.hosts, ...added] };
  const publicKey = await ensureKeyPair(layout);
  // Recorded first, so that `sandbox down` and `remove` know of a host whose start fails.
  await writeState(layout.statePath, grown);
  await Promise.all(
    added.map(async (host) => {
      await bringUpHost(hostSpec(grown, host), publicKey, grown.knownHosts);
      log(`${host.name}: sshd up on ${host.address}`);
    }),
  );
  await replaceInventory(layout.inventoryPath, text);
  log(`sandbox ${grown.name}: ${added.map((h) => h.name).join(', ')} added in ${Math.round((Date.now() - started) / 1000)}s; inventory: ${layout.inventoryPath}`);
  return added;
}
