// The variables a playbook sees on one host: merged inventory vars, the host, and under `mesh`
// the validated mesh section as written, this host's plan, and the backend's own values; `kv`
// (the store and where its clients find it, `false` without a `kv:` section, so `when: kv` works)
// `package_sources` (the package_sources module's `sources`), `docker` (the inventory's
// `docker:` for this host: `daemon`, `insecure_tcp`) and `selinux` (`mode`, `permissive`).
import type { Host, Inventory } from '../inventory/types.js';
import { kvVars } from '../kv/endpoints.js';
import type { MeshPlan } from '../network/plan.js';
import type { PackageFile } from '../packages/package-file.js';
import type { Registered } from './prepare.js';
import type { Vars } from './template.js';

export interface RunOptions {
  /** `down --purge`: also remove the packages `up` installed. */
  purge: boolean;
}

/**
 * `registered`: what the plays run so far registered; templates see `registered.NAME` (the
 * outputs of the first host, in inventory order, that registered NAME) and the backend's
 * `decide` values under `mesh.` (overlay's `auto` choice, from the engines found).
 */
/**
 * `source` (distro | packages, for `when:`), the files to ship (package_files' `packages`) and
 * their names (what `down --purge` removes).
 */
function shippedVars(files: PackageFile[] | undefined): { source: 'distro' | 'packages'; packages: PackageFile[]; package_names: string[] } {
  if (files === undefined) return { source: 'distro', packages: [], package_names: [] };
  return { source: 'packages', packages: files, package_names: [...new Set(files.map((file) => file.name))] };
}

export function hostVars(inventory: Inventory, plan: MeshPlan, host: Host, options: RunOptions, registered: Registered = new Map()): Vars {
  const hostPlan = plan.hosts.get(host.name);
  if (hostPlan === undefined) throw new Error(`no plan for host ${host.name}`);
  const { mesh, backend } = inventory;
  const hostFacts = { name: host.name, address: host.address, underlay_address: host.underlayAddress, groups: host.groups };
  return {
    ...host.vars,
    inventory_hostname: host.name,
    // What `hosts: first` runs on: a task for every host but that one says `when: not first_host`.
    first_host: inventory.hosts[0]?.name === host.name,
    host: hostFacts,
    mesh: {
      ...mesh,
      slice: hostPlan.slice,
      gateway: hostPlan.gateway,
      gateway_cidr: hostPlan.gatewayCidr,
      slice_gateway_cidr: hostPlan.sliceGatewayCidr,
      peers: hostPlan.peers.map((peer) => ({ name: peer.name, underlay_address: peer.underlayAddress })),
      ...backend.hostVars?.(mesh as never, hostFacts, plan),
      ...backend.decide?.(mesh as never, registered),
    },
    registered: Object.fromEntries(
      [...registered].flatMap(([name, byHost]) => {
        const first = inventory.hosts.find((h) => byHost.has(h.name));
        return first === undefined ? [] : [[name, byHost.get(first.name)]];
      }),
    ),
    kv: inventory.kv === undefined ? false : kvVars(inventory.kv, host.name),
    package_sources: inventory.packageSources,
    // The docker_daemon tasks' user_settings: merged with the backend's own keys on the host.
    docker: { daemon: host.docker.daemon, insecure_tcp: host.docker.insecureTcp, ...shippedVars(inventory.shipped.docker) },
    ovs: shippedVars(inventory.shipped.ovs),
    // `mode` for text and `when:`, `permissive` for the selinux module's `allowed`.
    selinux: { mode: inventory.selinux, permissive: inventory.selinux === 'permissive' },
    purge: options.purge,
  };
}
