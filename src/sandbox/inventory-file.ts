// Reads and replaces the inventory file that `sandbox add` and `sandbox remove` change.
// Example: `await replaceInventory('lab/inventory.yaml', text)`.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

export async function readInventory(path: string, inventory: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        `\`meshctl sandbox up -i ${inventory}\` with the sandbox's host count writes it again`,
    );
  }
}

/** Temp file + rename: a reader (or a crash) never sees half an inventory. */
export async function replaceInventory(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}
