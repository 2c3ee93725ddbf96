// vxlan: flannel's design without its daemon. Each host's slice of the pool is a routed subnet
// (Docker's `bip`); one kernel VXLAN device per host (flannel.1, `nolearning`) and, per peer, a
// static FDB entry, a neighbour entry and a route to the peer's subnet through the device: state
// O(peers), no tunnel mesh, no spanning tree. `mode: host-gw` (flannel's other common mode) routes
// each peer's subnet straight to its underlay address instead: no encapsulation, one L2 segment.
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { isIPv4, isIPv4Network, rangeContains } from '../network/ipv4.js';
import { defineBackend } from './backend.js';
import { commonMeshFields, interfaceName, VXLAN_OVERHEAD } from './mesh-fields.js';
import { vtepMac } from '../modules/vxlan-routes-state.js';

const vxlanDefaults = { mode: 'vxlan' as const, vni: 1, port: 8472, device: 'flannel.1' };

export const vxlan = defineBackend({
  name: 'vxlan',
  summary: "flannel's design without its daemon: a kernel VXLAN device per host, a static FDB and neighbour entry and a route per peer; or host-gw (routes only)",
  overhead: (mesh) => (mesh.vxlan.mode === 'host-gw' ? 0 : VXLAN_OVERHEAD),
  meshSchema: z.strictObject({
    backend: z.literal('vxlan'),
    ...commonMeshFields,
    vxlan: z
      .strictObject({
        mode: z.enum(['vxlan', 'host-gw']).default('vxlan'),
        vni: z.number().int().min(1).max(16_777_215).default(1),
        // flannel's port, not IANA's 4789: hosts that ran flannel keep their firewall rules.
        port: z.number().int().min(1).max(65535).default(8472),
        device: interfaceName.default('flannel.1'),
        /** The one subnet all hosts' underlay addresses are on, e.g. 192.168.10.0/24: required by host-gw. */
        underlay_subnet: z.string().optional(),
      })
      .default(vxlanDefaults),
  }),
  check({ mesh, hosts, kv }) {
    const problems: FieldProblem[] = [];
    if (kv !== undefined && kv.type !== 'etcd') {
      problems.push({ path: ['kv', 'type'], message: `vxlan leases subnets in etcd (flannel's layout), not ${kv.type}: use kv.type etcd, or no kv: section (subnets from the inventory)` });
    }
    // Docker's `bip` configures the default bridge, which is always named docker0.
    if (mesh.docker.bridge !== 'docker0') {
      problems.push({ path: ['mesh', 'docker', 'bridge'], message: `vxlan hands each host's subnet to Docker as bip, which only applies to docker0, not ${mesh.docker.bridge}` });
    }
    const subnet = mesh.vxlan.underlay_subnet;
    if (subnet !== undefined && !isIPv4Network(subnet)) {
      return [...problems, { path: ['mesh', 'vxlan', 'underlay_subnet'], message: `'${subnet}' is not an IPv4 network such as 192.168.10.0/24` }];
    }
    if (mesh.vxlan.mode !== 'host-gw') return problems;
    if (subnet === undefined) {
      const message = "host-gw routes each peer's subnet to the peer's underlay address, so the hosts must share one subnet: name it as mesh.vxlan.underlay_subnet (e.g. 192.168.10.0/24), or use mode vxlan";
      return [...problems, { path: ['mesh', 'vxlan', 'mode'], message }];
    }
    const outside = hosts
      .map((host, i) => ({ host, i, underlay: host.underlay_address ?? host.address, field: host.underlay_address === undefined ? 'address' : 'underlay_address' }))
      .filter(({ underlay }) => isIPv4(underlay) && !rangeContains(subnet, underlay));
    const names = outside.map(({ host }) => host.name).join(', ');
    for (const { host, i, underlay, field } of outside) {
      problems.push({
        path: ['hosts', i, field],
        message: `${host.name}'s underlay address ${underlay} is outside ${subnet} (mesh.vxlan.underlay_subnet): host-gw needs every host on that one subnet (outside: ${names}); use mode vxlan to cross subnets`,
      });
    }
    return problems;
  },
  hostVars: (_mesh, host, plan) => {
    const own = plan.hosts.get(host.name);
    // The peers with the subnet each holds: where vxlan_routes sends it.
    const peers = (own?.peers ?? []).map((peer) => ({ name: peer.name, underlay_address: peer.underlayAddress, subnet: plan.hosts.get(peer.name)?.slice }));
    return { vxlan_peers: peers, vtep_mac: vtepMac(host.underlay_address) };
  },
  playbook: 'vxlan.yaml',
  docs: 'docs/backends/vxlan.md',
  sandbox: ({ underlaySubnet }) => ({
    mesh: {
      backend: 'vxlan',
      pool: '10.240.0.0/16',
      slice_prefix: 24,
      underlay: { interface: 'eth1', mtu: 1500 },
      // The subnet too, so that `--set mesh.vxlan.mode=host-gw` is all host-gw needs.
      vxlan: { ...vxlanDefaults, underlay_subnet: underlaySubnet },
      docker: { bridge: 'docker0' },
    },
  }),
});
