// The state file next to the inventory (`inventory.yaml` → `inventory.state.json`, readable
// JSON): which slice each host holds, so that adding or removing a host never moves another, and
// how the last `up`/`down` on each host ended, for `meshctl status`. Written by `up` and `down`
// (read, changed and replaced atomically under a lock, so neither loses the other's part), read
// by every command. Slices recorded for another pool or slice size do not apply (the plan starts
// afresh); files written before last runs were recorded have none and still load.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { withFileLock } from '../file-lock.js';
import type { MeshPlan } from '../network/plan.js';
import type { Inventory } from './types.js';

const lastRunSchema = z.object({
  action: z.enum(['up', 'down']),
  /** When the run ended, ISO 8601. */
  at: z.iso.datetime(),
  outcome: z.enum(['ok', 'failed', 'unreachable', 'interrupted']),
  /** The task the host failed or was lost in, or that an interrupt left it before. */
  task: z.string().optional(),
});
/** How the last `up` or `down` that was not check mode ended on a host. */
export type LastRun = z.infer<typeof lastRunSchema>;

const recordSchema = z.object({
  version: z.literal(1),
  pool: z.string(),
  slice_prefix: z.number().int(),
  hosts: z.record(z.string(), z.object({ slice_index: z.number().int().min(0), slice: z.string() })),
  last_runs: z.record(z.string(), lastRunSchema).optional(),
});
export type AllocationRecord = z.infer<typeof recordSchema>;

/** `lab/inventory.yaml` → `lab/inventory.state.json`. */
export function allocationsFile(inventoryFile: string): string {
  const parsed = path.parse(path.resolve(inventoryFile));
  return path.join(parsed.dir, `${parsed.name}.state.json`);
}

/** The slices an earlier `up` recorded for this inventory's pool, or undefined when there are none. */
export async function readAllocations(inventory: Inventory): Promise<Map<string, number> | undefined> {
  const record = await readRecord(allocationsFile(inventory.file));
  if (record === undefined || record.pool !== inventory.mesh.pool || record.slice_prefix !== inventory.mesh.slice_prefix) return undefined;
  return new Map(Object.entries(record.hosts).map(([name, held]) => [name, held.slice_index]));
}

/** How the last run ended on each host that has had one (whatever the pool was then). */
export async function readLastRuns(inventory: Inventory): Promise<Map<string, LastRun>> {
  const record = await readRecord(allocationsFile(inventory.file));
  return new Map(Object.entries(record?.last_runs ?? {}));
}

/** Records the plan's slices (every host of the inventory, none of the hosts it no longer has). */
export async function writeAllocations(inventory: Inventory, plan: MeshPlan): Promise<void> {
  const hosts = Object.fromEntries([...plan.hosts.values()].map((host) => [host.name, { slice_index: host.index, slice: host.slice }]));
  await updateRecord(inventory, (record) => ({ ...record, version: 1, pool: inventory.mesh.pool, slice_prefix: inventory.mesh.slice_prefix, hosts }));
}

/** Records how a run ended on the hosts it ran on; the other hosts keep theirs. */
export async function writeLastRuns(inventory: Inventory, runs: ReadonlyMap<string, LastRun>): Promise<void> {
  if (runs.size === 0) return;
  await updateRecord(inventory, (record) => ({
    // A `down` before any `up` has no slices to keep: an empty record for this pool.
    ...(record ?? { version: 1, pool: inventory.mesh.pool, slice_prefix: inventory.mesh.slice_prefix, hosts: {} }),
    last_runs: { ...record?.last_runs, ...Object.fromEntries(runs) },
  }));
}

async function readRecord(file: string): Promise<AllocationRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the allocation record ${file}: ${(error as Error).message}`);
  }
  try {
    return recordSchema.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`${file} is not an allocation record meshctl wrote: repair it, or delete it to allocate slices afresh`);
  }
}

/** Reads, changes and replaces the record under its lock, so two runs ending together both count. */
async function updateRecord(inventory: Inventory, change: (record: AllocationRecord | undefined) => AllocationRecord): Promise<void> {
  const file = allocationsFile(inventory.file);
  await mkdir(path.dirname(file), { recursive: true });
  const onWait = (pid: number): void => void process.stderr.write(`waiting for process ${pid}, which is writing ${file}\n`);
  await withFileLock(`${file}.lock`, 60_000, onWait, async () => {
    const record = change(await readRecord(file));
    // Beside the file, so that the rename is atomic: a reader sees the old record or the new one.
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }, (message) => new UsageError(message));
}
