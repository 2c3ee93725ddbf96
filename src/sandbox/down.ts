// `meshctl sandbox down`: removes a sandbox's containers (with their volumes), networks and state
// directory. Idempotent, and works on a half-created sandbox. Example: `await sandboxDown({ inventoryPath, log })`.
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stateFile } from '../state/file-store.js';
import { labelledContainers, labelledNetworks } from './docker.js';
import { ensureEngine } from './docker-engine.js';
import { removeContainers } from './hosts.js';
import { removeNetworks } from './networks.js';
import { sandboxLayout } from './layout.js';
import { readState } from './state.js';

export interface SandboxDownOptions {
  inventoryPath: string;
  log: (line: string) => void;
}

export async function sandboxDown(options: SandboxDownOptions): Promise<void> {
  const { log } = options;
  const layout = sandboxLayout(options.inventoryPath);
  // An unreadable record must not stop the cleanup: the labels find everything too.
  const state = await readState(layout.statePath).catch(() => undefined);
  await ensureEngine(log);

  const containers = new Set(await labelledContainers(layout.name));
  for (const host of state?.hosts ?? []) containers.add(host.container);
  await removeContainers([...containers]);

  const networks = new Set(await labelledNetworks(layout.name));
  for (const network of Object.values(state?.networks ?? {})) networks.add(network.name);
  await removeNetworks([...networks]);

  await rm(layout.stateDir, { recursive: true, force: true });
  // The hosts that held the recorded slices are gone with the sandbox.
  await rm(stateFile(layout.inventoryPath), { force: true });
  await removeIfUnused(dirname(layout.stateDir));
  log(`sandbox ${layout.name} removed (${containers.size} container(s), ${networks.size} network(s))`);
}

/** `.meshctl-sandbox/` goes once no other sandbox lives there (its .gitignore aside). */
async function removeIfUnused(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries === undefined || entries.some((e) => e !== '.gitignore')) return;
  await rm(join(dir, '.gitignore'), { force: true });
  await rmdir(dir).catch(() => undefined);
}
