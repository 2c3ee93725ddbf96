// Address planning: which slice of the pool, which gateway and which peers each host gets.
// Pure: a function of the validated inventory only, so the same inventory always yields the
// same plan and `up`, `down` and `verify` agree without asking any host.
import type { Host, Inventory } from '../inventory/types.js';
import { firstHost, prefixOf, sliceAt } from './ipv4.js';

export interface Peer {
  name: string;
  underlayAddress: string;
}

export interface HostPlan {
  name: string;
  index: number;
  /** This host's containers take addresses from here (Docker's fixed-cidr). */
  slice: string;
  /** docker0's address: the first address of the slice. */
  gateway: string;
  /** gateway/pool-prefix: docker0 is on the whole pool's L2 segment. */
  gatewayCidr: string;
  peers: Peer[];
}

export interface MeshPlan {
  pool: string;
  mtu: number;
  hosts: Map<string, HostPlan>;
}

/** Slice index of each host: its `mesh_index` if set, else its position in the inventory. */
export function sliceIndexes(hosts: readonly Pick<Host, 'name' | 'meshIndex'>[]): Map<string, number> {
  return new Map(hosts.map((host, position) => [host.name, host.meshIndex ?? position]));
}

export function planMesh(inventory: Inventory): MeshPlan {
  const { pool, slicePrefix, mtu } = inventory.mesh;
  const poolPrefix = prefixOf(pool);
  const indexes = sliceIndexes(inventory.hosts);
  const hosts = new Map<string, HostPlan>();
  for (const host of inventory.hosts) {
    const index = indexes.get(host.name) ?? 0;
    const slice = sliceAt(pool, slicePrefix, index);
    const gateway = firstHost(slice);
    const peers = inventory.hosts
      .filter((other) => other.name !== host.name)
      .map((other) => ({ name: other.name, underlayAddress: other.underlayAddress }));
    hosts.set(host.name, { name: host.name, index, slice, gateway, gatewayCidr: `${gateway}/${poolPrefix}`, peers });
  }
  return { pool, mtu, hosts };
}
