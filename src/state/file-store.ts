// The state record in a file next to the inventory (`inventory.yaml` → `inventory.state.json`):
// read by every command, replaced atomically (temp file + rename) under a lock file, so two runs
// on this machine that end together both count.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { withFileLock } from '../file-lock.js';
import { decodeRecord, encodeRecord, type StateRecord } from './record.js';
import type { StateStore } from './store.js';

/** `lab/inventory.yaml` → `lab/inventory.state.json`. */
export function stateFile(inventoryFile: string): string {
  const parsed = path.parse(path.resolve(inventoryFile));
  return path.join(parsed.dir, `${parsed.name}.state.json`);
}

export function fileStore(file: string): StateStore {
  return {
    location: { store: 'file', path: file },
    read: () => readRecordFile(file),
    update: async (change) => {
      await mkdir(path.dirname(file), { recursive: true });
      const onWait = (pid: number): void => void process.stderr.write(`waiting for process ${pid}, which is writing ${file}\n`);
      return withFileLock(`${file}.lock`, 60_000, onWait, async () => {
        const record = change(await readRecordFile(file));
        // Beside the file, so that the rename is atomic: a reader sees the old record or the new one.
        const temp = `${file}.${process.pid}.tmp`;
        try {
          await writeFile(temp, encodeRecord(record));
          await rename(temp, file);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
        return record;
      }, (message) => new UsageError(message));
    },
  };
}

async function readRecordFile(file: string): Promise<StateRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the allocation record ${file}: ${(error as Error).message}`);
  }
  return decodeRecord(text, file);
}
