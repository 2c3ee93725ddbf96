// The state record of one mesh, the same JSON document wherever it lives (the state file next to
// the inventory, or one key in etcd or Consul): which slice each host holds, so that adding or
// removing a host never moves another, and how the last `up`/`down` on each host ended, for
// `meshctl status`. Pure: decoding, encoding and the changes `up` and `down` make to it.
//   decodeRecord(encodeRecord(record), 'lab.state.json') deep-equals record
// Slices recorded for another pool or slice size do not apply (the plan starts afresh); records
// written before last runs were kept have none and still load.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { MeshPlan } from '../network/plan.js';

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
export type StateRecord = z.infer<typeof recordSchema>;

/** The mesh a record belongs to: its slices apply only to the same pool cut the same way. */
export interface MeshShape {
  pool: string;
  slice_prefix: number;
}

/** Readable JSON, two-space indented, ending in a newline: what a person opening the file or key sees. */
export function encodeRecord(record: StateRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** `where` names the file or key in the message when the text is no record meshctl wrote. */
export function decodeRecord(text: string, where: string): StateRecord {
  try {
    return recordSchema.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`${where} is not an allocation record meshctl wrote: repair it, or delete it to allocate slices afresh`);
  }
}

/** The slices recorded for this mesh (host name → slice index), or undefined when there are none for its pool. */
export function recordedSlices(record: StateRecord | undefined, mesh: MeshShape): Map<string, number> | undefined {
  if (record === undefined || record.pool !== mesh.pool || record.slice_prefix !== mesh.slice_prefix) return undefined;
  return new Map(Object.entries(record.hosts).map(([name, held]) => [name, held.slice_index]));
}

/** How the last run ended on each host that has had one (whatever the pool was then). */
export function recordedLastRuns(record: StateRecord | undefined): Map<string, LastRun> {
  return new Map(Object.entries(record?.last_runs ?? {}));
}

/** The plan's slices replace the recorded ones (every host it has, none it no longer has); last runs stay. */
export function withSlices(record: StateRecord | undefined, mesh: MeshShape, plan: MeshPlan): StateRecord {
  const hosts = Object.fromEntries([...plan.hosts.values()].map((host) => [host.name, { slice_index: host.index, slice: host.slice }]));
  return { ...record, version: 1, pool: mesh.pool, slice_prefix: mesh.slice_prefix, hosts };
}

/** The hosts a run ran on get this run's outcome; the other hosts keep theirs. */
export function withLastRuns(record: StateRecord | undefined, mesh: MeshShape, runs: ReadonlyMap<string, LastRun>): StateRecord {
  return {
    // A `down` before any `up` has no slices to keep: an empty record for this pool.
    ...(record ?? { version: 1, pool: mesh.pool, slice_prefix: mesh.slice_prefix, hosts: {} }),
    last_runs: { ...record?.last_runs, ...Object.fromEntries(runs) },
  };
}
