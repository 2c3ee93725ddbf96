// The variables a playbook sees on one host: merged inventory vars, the host, and the mesh plan.
import type { Host, Inventory } from '../inventory/types.js';
import type { MeshPlan } from '../network/plan.js';
import type { Vars } from './template.js';

export interface RunOptions {
  /** `down --purge`: also remove the packages `up` installed. */
  purge: boolean;
}

export function hostVars(inventory: Inventory, plan: MeshPlan, host: Host, options: RunOptions): Vars {
  const hostPlan = plan.hosts.get(host.name);
  if (hostPlan === undefined) throw new Error(`no plan for host ${host.name}`);
  const { mesh } = inventory;
  return {
    ...host.vars,
    inventory_hostname: host.name,
    host: { name: host.name, address: host.address, underlay_address: host.underlayAddress, groups: host.groups },
    mesh: {
      backend: mesh.backend,
      pool: mesh.pool,
      slice_prefix: mesh.slicePrefix,
      mtu: mesh.mtu,
      underlay: { interface: mesh.underlay.interface, mtu: mesh.underlay.mtu },
      spanning_tree: mesh.spanningTree,
      ovs: { bridge: mesh.ovs.bridge, datapath: mesh.ovs.datapath },
      docker: { bridge: mesh.docker.bridge },
      slice: hostPlan.slice,
      gateway: hostPlan.gateway,
      gateway_cidr: hostPlan.gatewayCidr,
      peers: hostPlan.peers.map((peer) => ({ name: peer.name, underlay_address: peer.underlayAddress })),
    },
    purge: options.purge,
  };
}
