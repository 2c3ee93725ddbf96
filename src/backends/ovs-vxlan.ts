// ovs-vxlan: Open vSwitch bridges joined by a full mesh of VXLAN tunnels, docker0 plugged in;
// each Docker daemon gets its own subnet of the pool as `bip`, and the whole pool is routed
// through docker0. Tunnel ports are OVS "protected" ports (split horizon), so the full mesh
// needs no spanning tree: a frame that came in from one tunnel never leaves by another.
import { z } from 'zod';
import { defineBackend } from './backend.js';
import { commonMeshFields, ovsFields, VXLAN_OVERHEAD } from './mesh-fields.js';

export const ovsVxlan = defineBackend({
  name: 'ovs-vxlan',
  summary: 'Open vSwitch bridges in a full mesh of VXLAN tunnels (split horizon, no spanning tree); a routed subnet per host',
  overhead: VXLAN_OVERHEAD,
  meshSchema: z.strictObject({
    backend: z.literal('ovs-vxlan'),
    ...commonMeshFields,
    ...ovsFields,
    vxlan: z
      .strictObject({
        vni: z.number().int().min(1).max(16_777_215).default(42),
        port: z.number().int().min(1).max(65535).default(4789),
      })
      .default({ vni: 42, port: 4789 }),
  }),
  check({ mesh }) {
    // Docker's `bip` configures the default bridge, which is always named docker0.
    if (mesh.docker.bridge !== 'docker0') {
      return [{ path: ['mesh', 'docker', 'bridge'], message: `ovs-vxlan hands each host's subnet to Docker as bip, which only applies to docker0, not ${mesh.docker.bridge}` }];
    }
    return [];
  },
  playbook: 'ovs-vxlan.yaml',
  docs: 'docs/backends/ovs-vxlan.md',
  // The userspace datapath tunnels only from an address on an OVS bridge that holds the NIC.
  underlayBridge: (mesh) => (mesh.ovs.datapath === 'netdev' ? 'br-phy' : undefined),
  sandbox: () => ({
    mesh: {
      backend: 'ovs-vxlan',
      pool: '10.240.0.0/16',
      slice_prefix: 24,
      underlay: { interface: 'eth1', mtu: 1500 },
      vxlan: { vni: 42, port: 4789 },
      ovs: { bridge: 'br0', datapath: 'netdev' },
      docker: { bridge: 'docker0' },
    },
  }),
});
