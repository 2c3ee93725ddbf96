// What `up` and `down` record in the state store: the slices of the plan they run, and how
// each host's run ended. Through StateStore.update, so a write that another run's came before is
// planned again from the newer record, never laid over it.
//   const plan = await reserveSlices(store, inventory);   // then run that plan
import type { Inventory } from '../inventory/types.js';
import { planInventory } from '../inventory/plan.js';
import type { MeshPlan } from '../network/plan.js';
import { recordedSlices, withLastRuns, withSlices, type LastRun } from './record.js';
import type { StateStore } from './store.js';

/**
 * Plans the mesh from the latest record and records its slices (every host of the inventory, none
 * it no longer has); returns the plan as recorded, which is the one to run.
 */
export async function reserveSlices(store: StateStore, inventory: Inventory): Promise<MeshPlan> {
  let planned: MeshPlan | undefined;
  await store.update((record) => {
    planned = planInventory(inventory, recordedSlices(record, inventory.mesh));
    return withSlices(record, inventory.mesh, planned);
  });
  if (planned === undefined) throw new Error('the state store wrote a record without planning it');
  return planned;
}

/** Records how a run ended on the hosts it ran on; the other hosts keep theirs. */
export async function recordLastRuns(store: StateStore, inventory: Inventory, runs: ReadonlyMap<string, LastRun>): Promise<void> {
  if (runs.size === 0) return;
  await store.update((record) => withLastRuns(record, inventory.mesh, runs));
}

/** The same host names hold the same slices in both plans. */
export function sameSlices(a: MeshPlan, b: MeshPlan): boolean {
  return a.hosts.size === b.hosts.size && [...a.hosts].every(([name, host]) => b.hosts.get(name)?.slice === host.slice);
}
