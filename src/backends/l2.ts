// l2: flat layer 2. Containers take addresses of the hosts' physical subnet: the underlay NIC
// is joined to the Docker bridge, the host's address (and its routes) move onto that bridge,
// and an outside router is the containers' gateway. Each Docker daemon hands out its own slice
// of `pool`, a part of the subnet kept free of hosts and the router. `vlan: N` tags container
// traffic in Open vSwitch (the NIC a trunk port, the Docker bridge joined by an access port).
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { isIPv4, isIPv4Network, prefixOf, rangeContains, rangesOverlap } from '../network/ipv4.js';
import { defineBackend } from './backend.js';
import { commonMeshFields, ovsFields } from './mesh-fields.js';

export const l2 = defineBackend({
  name: 'l2',
  summary: 'flat layer 2: the NIC joined to the Docker bridge, containers on the physical subnet behind an outside router; optional VLAN tag',
  // No encapsulation. A VLAN tag rides in the Ethernet header, which MTUs do not count.
  overhead: 0,
  meshSchema: z.strictObject({
    backend: z.literal('l2'),
    ...commonMeshFields,
    ...ovsFields,
    l2: z.strictObject({
      /** The physical subnet the hosts' underlay addresses are on, e.g. 192.168.10.0/24. */
      subnet: z.string(),
      /** The outside router: the containers' default gateway. */
      gateway: z.string(),
      /** Tag container traffic with this VLAN (through Open vSwitch). */
      vlan: z.number().int().min(1).max(4094).optional(),
    }),
  }),
  check({ mesh, hosts }) {
    const problems: FieldProblem[] = [];
    const { subnet, gateway } = mesh.l2;
    if (!isIPv4Network(subnet)) {
      return [{ path: ['mesh', 'l2', 'subnet'], message: `'${subnet}' is not an IPv4 network such as 192.168.10.0/24` }];
    }
    if (!isIPv4(gateway)) problems.push({ path: ['mesh', 'l2', 'gateway'], message: `'${gateway}' is not an IPv4 address` });
    else if (!rangeContains(subnet, gateway)) problems.push({ path: ['mesh', 'l2', 'gateway'], message: `${gateway} is outside ${subnet}` });
    else if (rangeContains(mesh.pool, gateway)) {
      problems.push({ path: ['mesh', 'pool'], message: `${mesh.pool} holds the gateway ${gateway}: keep the containers' range free of it` });
    }
    if (!rangesOverlap(subnet, mesh.pool) || prefixOf(mesh.pool) < prefixOf(subnet)) {
      problems.push({ path: ['mesh', 'pool'], message: `${mesh.pool} must lie inside the physical subnet ${subnet}` });
    }
    hosts.forEach((host, i) => {
      const underlay = host.underlay_address ?? host.address;
      const field = host.underlay_address === undefined ? 'address' : 'underlay_address';
      if (!isIPv4(underlay)) return;
      if (!rangeContains(subnet, underlay)) {
        problems.push({ path: ['hosts', i, field], message: `${underlay} is outside the physical subnet ${subnet} (mesh.l2.subnet)` });
      }
      if (underlay === gateway) problems.push({ path: ['hosts', i, field], message: `${underlay} is the gateway's address` });
    });
    return problems;
  },
  hostVars: (mesh, host) => ({
    // The host's own address on the physical subnet: the Docker bridge holds it once the NIC is in.
    host_cidr: `${host.underlay_address}/${prefixOf(mesh.l2.subnet)}`,
    tagged: mesh.l2.vlan !== undefined,
    // What l2_uplink's `vlan` param takes: the trunk bridge and the tag, or null for untagged.
    trunk: mesh.l2.vlan === undefined ? null : { ovs_bridge: mesh.ovs.bridge, tag: mesh.l2.vlan },
  }),
  playbook: 'l2.yaml',
  docs: 'docs/backends/l2.md',
  sandbox: ({ underlaySubnet, routerAddress }) => ({
    mesh: {
      backend: 'l2',
      // The upper quarter of the sandbox's /24, below the router at .254; hosts sit at .11 up.
      pool: underlaySubnet.replace(/\.0\/24$/, '.128/26'),
      slice_prefix: 29,
      underlay: { interface: 'eth1', mtu: 1500 },
      l2: { subnet: underlaySubnet, gateway: routerAddress },
      ovs: { bridge: 'br-l2', datapath: 'netdev' },
      docker: { bridge: 'docker0' },
    },
    router: (section) => {
      const vlan = (section.l2 as { vlan?: unknown } | undefined)?.vlan;
      return { vlan: typeof vlan === 'number' ? vlan : undefined };
    },
  }),
  gateway: (mesh) => mesh.l2.gateway,
  underlayBridge: (mesh) => mesh.docker.bridge,
  poolParent: (mesh) => mesh.l2.subnet,
});
