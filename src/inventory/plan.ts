// The address plan of a loaded inventory: the planner sees plain values, not the inventory.
import { planMesh, type MeshPlan } from '../network/plan.js';
import type { Inventory } from './types.js';

/** `recorded`: the slices an earlier `up` gave (see allocations.ts); hosts keep them. */
export function planInventory(inventory: Inventory, recorded?: ReadonlyMap<string, number>): MeshPlan {
  const { mesh } = inventory;
  return planMesh({ pool: mesh.pool, slicePrefix: mesh.slice_prefix, mtu: mesh.mtu, hosts: inventory.hosts, recorded });
}
