// The variables a playbook sees on one host: merged inventory vars, the host, and under `mesh`
// the validated mesh section as written, this host's plan, and the backend's own values.
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
  const { mesh, backend } = inventory;
  const hostFacts = { name: host.name, address: host.address, underlay_address: host.underlayAddress, groups: host.groups };
  return {
    ...host.vars,
    inventory_hostname: host.name,
    host: hostFacts,
    mesh: {
      ...mesh,
      slice: hostPlan.slice,
      gateway: hostPlan.gateway,
      gateway_cidr: hostPlan.gatewayCidr,
      slice_gateway_cidr: hostPlan.sliceGatewayCidr,
      peers: hostPlan.peers.map((peer) => ({ name: peer.name, underlay_address: peer.underlayAddress })),
      ...backend.hostVars?.(mesh as never, hostFacts, plan),
    },
    purge: options.purge,
  };
}
