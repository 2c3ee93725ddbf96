// The allocation record: which slice each host holds, kept next to the inventory
// (`inventory.yaml` → `inventory.state.json`, readable JSON) so that adding or removing a host
// never moves another. Written by `up` (atomically, under a lock), read by every command.
// A record made for another pool or slice size does not apply (the plan starts afresh).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { withFileLock } from '../file-lock.js';
import type { MeshPlan } from '../network/plan.js';
import type { Inventory } from './types.js';

const recordSchema = z.object({
  version: z.literal(1),
  pool: z.string(),
  slice_prefix: z.number().int(),
  hosts: z.record(z.string(), z.object({ slice_index: z.number().int().min(0), slice: z.string() })),
});
export type AllocationRecord = z.infer<typeof recordSchema>;

/** `lab/inventory.yaml` → `lab/inventory.state.json`. */
export function allocationsFile(inventoryFile: string): string {
  const parsed = path.parse(path.resolve(inventoryFile));
  return path.join(parsed.dir, `${parsed.name}.state.json`);
}

/** The slices an earlier `up` recorded for this inventory's pool, or undefined when there are none. */
export async function readAllocations(inventory: Inventory): Promise<Map<string, number> | undefined> {
  const file = allocationsFile(inventory.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the allocation record ${file}: ${(error as Error).message}`);
  }
  let record: AllocationRecord;
  try {
    record = recordSchema.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`${file} is not an allocation record meshctl wrote: repair it, or delete it to allocate slices afresh`);
  }
  if (record.pool !== inventory.mesh.pool || record.slice_prefix !== inventory.mesh.slice_prefix) return undefined;
  return new Map(Object.entries(record.hosts).map(([name, held]) => [name, held.slice_index]));
}

/** Records the plan's slices (every host of the inventory, none of the hosts it no longer has). */
export async function writeAllocations(inventory: Inventory, plan: MeshPlan): Promise<void> {
  const file = allocationsFile(inventory.file);
  const record: AllocationRecord = {
    version: 1,
    pool: inventory.mesh.pool,
    slice_prefix: inventory.mesh.slice_prefix,
    hosts: Object.fromEntries([...plan.hosts.values()].map((host) => [host.name, { slice_index: host.index, slice: host.slice }])),
  };
  await mkdir(path.dirname(file), { recursive: true });
  const onWait = (pid: number): void => void process.stderr.write(`waiting for process ${pid}, which is writing ${file}\n`);
  await withFileLock(`${file}.lock`, 60_000, onWait, async () => {
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temp, file);
  }, (message) => new UsageError(message));
}
