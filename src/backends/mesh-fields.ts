// The `mesh:` fields every backend shares, and the OVS ones the OVS backends share. A backend's
// schema is `z.strictObject({ backend: z.literal(NAME), ...commonMeshFields, ...its own })`.
import { z } from 'zod';

export const interfaceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be a network interface name');
export const bridgeName = z.string().regex(/^[A-Za-z0-9_-]{1,15}$/, 'must be a bridge name');

export const DEFAULT_UNDERLAY_MTU = 1500;

/** What VXLAN adds to a frame: outer IPv4 (20) + UDP (8) + VXLAN (8) headers + the inner Ethernet header (14). */
export const VXLAN_OVERHEAD = 50;

export const commonMeshFields = {
  /** The address pool all containers of the mesh share, e.g. 172.17.0.0/16. */
  pool: z.string(),
  /** Prefix length of each host's slice of the pool, e.g. 18. */
  slice_prefix: z.number().int().min(1).max(30),
  underlay: z
    .strictObject({
      interface: interfaceName.default('eth0'),
      mtu: z.number().int().min(576).max(65535).default(DEFAULT_UNDERLAY_MTU),
    })
    .default({ interface: 'eth0', mtu: DEFAULT_UNDERLAY_MTU }),
  /** MTU inside the mesh; defaults to underlay MTU − the backend's overhead. */
  mtu: z.number().int().optional(),
  docker: z.strictObject({ bridge: bridgeName.default('docker0') }).default({ bridge: 'docker0' }),
};

export const ovsFields = {
  ovs: z
    .strictObject({
      bridge: bridgeName.default('br0'),
      /** netdev: OVS's userspace datapath, where there is no OVS kernel module. */
      datapath: z.enum(['system', 'netdev']).default('system'),
    })
    .default({ bridge: 'br0', datapath: 'system' }),
};
