// Address planning: which slice of the pool, which gateway and which peers each host gets.
// Pure: a function of the mesh settings and the hosts only, so the same inventory always
// yields the same plan and `up`, `down` and `verify` agree without asking any host.
import { allocateSlices } from './allocate.js';
import { firstHost, prefixOf, sliceAt, sliceCount } from './ipv4.js';

export interface Peer {
  name: string;
  underlayAddress: string;
}

export interface HostPlan {
  name: string;
  index: number;
  /** This host's containers take addresses from here (Docker's fixed-cidr). */
  slice: string;
  /** The host's own address in its slice (docker0's): the slice's first address. */
  gateway: string;
  /** gateway/pool-prefix: docker0 on the whole pool's L2 segment (one segment for all hosts). */
  gatewayCidr: string;
  /** gateway/slice-prefix: docker0 on its own subnet (a routed design: Docker's `bip`). */
  sliceGatewayCidr: string;
  peers: Peer[];
}

export interface MeshPlan {
  pool: string;
  mtu: number;
  hosts: Map<string, HostPlan>;
}

export interface PlanInput {
  pool: string;
  slicePrefix: number;
  mtu: number;
  hosts: readonly { name: string; underlayAddress: string; meshIndex?: number | undefined }[];
  /** Slices held from an earlier run (host name → index), which those hosts keep. */
  recorded?: ReadonlyMap<string, number> | undefined;
}

export function planMesh(input: PlanInput): MeshPlan {
  const { pool, slicePrefix, mtu } = input;
  const poolPrefix = prefixOf(pool);
  const indexes = allocateSlices(input.hosts, { recorded: input.recorded, slices: sliceCount(pool, slicePrefix) });
  const hosts = new Map<string, HostPlan>();
  for (const host of input.hosts) {
    const index = indexes.get(host.name) ?? 0;
    const slice = sliceAt(pool, slicePrefix, index);
    const gateway = firstHost(slice);
    const peers = input.hosts
      .filter((other) => other.name !== host.name)
      .map((other) => ({ name: other.name, underlayAddress: other.underlayAddress }));
    hosts.set(host.name, {
      name: host.name,
      index,
      slice,
      gateway,
      gatewayCidr: `${gateway}/${poolPrefix}`,
      sliceGatewayCidr: `${gateway}/${slicePrefix}`,
      peers,
    });
  }
  return { pool, mtu, hosts };
}
