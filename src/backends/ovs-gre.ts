// ovs-gre: Open vSwitch bridges joined by a full mesh of GRE tunnels, spanning tree on, docker0
// plugged in, each Docker daemon handing out its own slice of one shared pool (fixed-cidr).
import { z } from 'zod';
import { defineBackend } from './backend.js';
import { commonMeshFields, ovsFields } from './mesh-fields.js';

export const ovsGre = defineBackend({
  name: 'ovs-gre',
  summary: 'Open vSwitch bridges in a full mesh of GRE tunnels, spanning tree on; one L2 segment for the whole pool',
  // Outer IPv4 header (20) + GRE header (4) + the inner Ethernet header (14): a 1500-byte
  // underlay carries 1462. Without lowering the mesh MTU small pings pass while full-size TCP
  // segments are silently dropped: the classic "ping works, big transfers hang".
  overhead: 38,
  meshSchema: z.strictObject({
    backend: z.literal('ovs-gre'),
    ...commonMeshFields,
    ...ovsFields,
    spanning_tree: z.enum(['rstp', 'stp', 'off']).default('rstp'),
  }),
  playbook: 'ovs-gre.yaml',
  docs: 'docs/backends/ovs-gre.md',
  // The userspace datapath tunnels only from an address on an OVS bridge that holds the NIC.
  underlayBridge: (mesh) => (mesh.ovs.datapath === 'netdev' ? 'br-phy' : undefined),
  sandbox: () => ({
    mesh: {
      backend: 'ovs-gre',
      pool: '10.240.0.0/16',
      slice_prefix: 24,
      underlay: { interface: 'eth1', mtu: 1500 },
      spanning_tree: 'rstp',
      ovs: { bridge: 'br0', datapath: 'netdev' },
      docker: { bridge: 'docker0' },
    },
  }),
});
