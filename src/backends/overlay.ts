// overlay: Docker's own overlay driver. With a key-value store (Consul, etcd or ZooKeeper, which
// meshctl starts on the hosts of group `kv`), every daemon is given `cluster-store` and
// `cluster-advertise`, and one overlay network is created once, on one host: the store carries
// it to the others. Engines from Docker 23 on have no cluster-store: there, swarm mode (a manager,
// the others joined, an attachable overlay) is the way. `store: auto` picks from the engines found.
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { isIPv4Network, prefixOf, rangeContains } from '../network/ipv4.js';
import { defineBackend } from './backend.js';
import { commonMeshFields, VXLAN_OVERHEAD } from './mesh-fields.js';
import { KV_TYPES } from '../kv/endpoints.js';

export const OVERLAY_STORES = ['consul', 'etcd', 'zookeeper', 'swarm', 'auto'] as const;

/** Where dockerd listens for its peers' overlay control traffic with a cluster store. */
const ADVERTISE_PORT = 2376;

export const overlay = defineBackend({
  name: 'overlay',
  summary: "Docker's overlay network (VXLAN by dockerd) on a key-value store meshctl starts (Consul, etcd, ZooKeeper), or swarm mode on current engines",
  overhead: VXLAN_OVERHEAD,
  meshSchema: z.strictObject({
    backend: z.literal('overlay'),
    ...commonMeshFields,
    // Docker's overlay IPAM hands out addresses across the whole network, not per host: the
    // per-host slices only keep the planner's bookkeeping, nothing on a host uses them.
    slice_prefix: commonMeshFields.slice_prefix.default(24),
    overlay: z
      .strictObject({
        store: z.enum(OVERLAY_STORES).default('auto'),
        /** The overlay network's name. */
        network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be a Docker network name').default('meshnet'),
        /** Its subnet; default: the whole pool. */
        subnet: z.string().optional(),
      })
      .default({ store: 'auto', network: 'meshnet' }),
  }),
  check({ mesh, kv }) {
    const problems: FieldProblem[] = [];
    const store = mesh.overlay.store;
    if ((KV_TYPES as readonly string[]).includes(store)) {
      if (kv === undefined) {
        problems.push({ path: ['mesh', 'overlay', 'store'], message: `the ${store} store needs a kv: section (kv: { type: ${store} }) and hosts in group kv to run it` });
      } else if (kv.type !== store) {
        problems.push({ path: ['mesh', 'overlay', 'store'], message: `${store} is not the inventory's store (kv.type: ${kv.type}): name the same one, or store: auto` });
      }
    }
    const subnet = mesh.overlay.subnet;
    if (subnet !== undefined) {
      if (!isIPv4Network(subnet)) problems.push({ path: ['mesh', 'overlay', 'subnet'], message: `'${subnet}' is not an IPv4 network such as 10.50.0.0/16` });
      else if (isIPv4Network(mesh.pool) && !(rangeContains(mesh.pool, subnet.split('/')[0] ?? '') && prefixOf(subnet) >= prefixOf(mesh.pool))) {
        problems.push({ path: ['mesh', 'overlay', 'subnet'], message: `${subnet} must lie inside the pool ${mesh.pool}` });
      }
    }
    return problems;
  },
  hostVars: (mesh, host) => ({
    subnet: mesh.overlay.subnet ?? mesh.pool,
    // dockerd's address for its peers: the underlay interface (as the recipes write it) and port.
    advertise: `${mesh.underlay.interface}:${ADVERTISE_PORT}`,
    advertise_address: host.underlay_address,
    // Docker's overlay takes the MTU option as the link's and gives containers that minus VXLAN's 50.
    network_mtu: mesh.mtu + VXLAN_OVERHEAD,
  }),
  // `store: auto` decides once the engines are read (what docker_engine registers as `engine`).
  decide: (mesh, registered) => decideMode(mesh.overlay.store, registered.get('engine')),
  playbook: 'overlay.yaml',
  docs: 'docs/backends/overlay.md',
  probeNetwork: (mesh) => mesh.overlay.network,
  uniqueHostnames: true,
  containerRange: (mesh) => mesh.overlay.subnet ?? mesh.pool,
  sandbox: ({ suite, mirror }) => ({
    mesh: {
      backend: 'overlay',
      pool: '10.50.0.0/16',
      underlay: { interface: 'eth1', mtu: 1500 },
      overlay: { store: 'etcd', network: 'meshnet' },
    },
    // The store the section names is the one started (swarm and auto: none unless --set kv.type).
    kvType: (section) => {
      const store = (section.overlay as { store?: unknown } | undefined)?.store;
      return typeof store === 'string' && (KV_TYPES as readonly string[]).includes(store) ? store : undefined;
    },
    // Consul and an engine that accepts it are in Debian 11 only (harness-facts.md): what a user
    // would add is that release as a source, pinned so that nothing else comes from it.
    packageSources: (_section, kvType) =>
      kvType === 'consul' && suite !== 'bullseye'
        ? [{ name: 'bullseye', uri: mirror, suite: 'bullseye', components: ['main'], priority: 100, packages: CONSUL_ENGINE, packagesPriority: 990 }]
        : [],
  }),
});

/** Debian 11's engine, the last there with the Consul store built in, and what it must come with. */
const CONSUL_ENGINE = ['docker.io', 'consul'];

export type OverlayMode = 'store' | 'swarm' | 'undecided';

/** What docker_engine registers per host (see src/modules/docker-engine.ts). */
interface EngineOutputs {
  version?: unknown;
  store?: unknown;
  can_use?: unknown;
}

/**
 * `mode` (store, swarm, or undecided before the engines are read), why, and whether an engine
 * that cannot use the store stops the run (a store named: yes; auto: no, it picks swarm).
 */
export function decideMode(
  store: (typeof OVERLAY_STORES)[number],
  engines: ReadonlyMap<string, EngineOutputs> | undefined,
): { mode: OverlayMode; mode_reason: string; swarm_mode: boolean; store_required: boolean; auto: boolean; swarm_possible: boolean } {
  const auto = store === 'auto';
  const base = { store_required: !auto && store !== 'swarm', auto, swarm_possible: store === 'swarm' || auto };
  const swarm = (mode_reason: string) => ({ ...base, mode: 'swarm' as const, swarm_mode: true, mode_reason });
  const storeMode = (mode_reason: string) => ({ ...base, mode: 'store' as const, swarm_mode: false, mode_reason });
  if (store === 'swarm') return swarm('mesh.overlay.store: swarm');
  if (!auto) return storeMode(`mesh.overlay.store: ${store}`);
  if (engines === undefined || engines.size === 0) return { ...base, mode: 'undecided', swarm_mode: false, mode_reason: 'store: auto decides once every engine is read' };
  const lacking = [...engines].filter(([, engine]) => engine.can_use !== true);
  const first = [...engines.values()][0];
  if (first?.store === null || first?.store === undefined) return swarm('store: auto chose swarm: the inventory has no kv: store for a cluster-store');
  if (lacking.length > 0) {
    const named = lacking.map(([host, engine]) => `${host} (Docker ${String(engine.version)})`).join(', ');
    return swarm(`store: auto chose swarm: ${named} cannot use a ${String(first.store)} cluster store`);
  }
  return storeMode(`store: auto chose the ${String(first.store)} store: every engine can use it`);
}
