// Where a sandbox lives: its name (from the inventory path) and its state directory beside the inventory.
// Example: sandboxLayout('lab/inventory.yaml') → name meshctl-inventory-3f2a1c, state lab/.meshctl-sandbox/inventory/
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join, resolve } from 'node:path';

export interface SandboxLayout {
  /** Docker name prefix and label value: `meshctl-<base>-<6 hex of sha256(absolute inventory path)>`. */
  name: string;
  inventoryPath: string;
  inventoryDir: string;
  /** The inventory's file name without extension. */
  base: string;
  stateDir: string;
  /** The state directory relative to the inventory's directory, as the inventory refers to it. */
  stateDirRelative: string;
  keyPath: string;
  knownHostsPath: string;
  statePath: string;
}

export const stateDirName = '.meshctl-sandbox';

export function sandboxLayout(inventoryPath: string, cwd: string = process.cwd()): SandboxLayout {
  const absolute = resolve(cwd, inventoryPath);
  const file = basename(absolute);
  const base = file.slice(0, file.length - extname(file).length) || file;
  const digest = createHash('sha256').update(absolute).digest('hex').slice(0, 6);
  const stateDirRelative = `${stateDirName}/${base}`;
  const stateDir = join(dirname(absolute), stateDirName, base);
  return {
    name: `meshctl-${dockerSafe(base)}-${digest}`,
    inventoryPath: absolute,
    inventoryDir: dirname(absolute),
    base,
    stateDir,
    stateDirRelative,
    keyPath: join(stateDir, 'id_ed25519'),
    knownHostsPath: join(stateDir, 'known_hosts'),
    statePath: join(stateDir, 'sandbox.json'),
  };
}

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; lower case keeps them easy to type. */
function dockerSafe(text: string): string {
  const safe = text
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .slice(0, 32)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return safe === '' ? 'inventory' : safe;
}

export function containerName(sandbox: string, ordinal: number): string {
  return `${sandbox}-node${ordinal}`;
}
