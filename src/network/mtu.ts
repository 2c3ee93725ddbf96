// MTU arithmetic for tunnels.
import type { MeshBackend } from '../inventory/types.js';

/**
 * Bytes a tunnel adds to every frame it carries. GRE over IPv4: outer IPv4 header (20) +
 * GRE header (4) + the inner Ethernet header (14) = 38; so a 1500-byte underlay carries 1462.
 * Without lowering the mesh MTU, small pings pass while full-size TCP segments are silently
 * dropped: the classic "ping works, big transfers hang".
 */
export const TUNNEL_OVERHEAD: Record<MeshBackend, number> = {
  'ovs-gre': 38,
};

/** Smallest mesh MTU we accept: the IPv4 minimum datagram every host must take. */
export const MIN_MESH_MTU = 576;

export function meshMtuFor(backend: MeshBackend, underlayMtu: number): number {
  return underlayMtu - TUNNEL_OVERHEAD[backend];
}

/** ICMP echo payload that fills exactly one packet of `mtu` (IPv4 20 + ICMP 8 headers). */
export function pingPayloadFor(mtu: number): number {
  return mtu - 28;
}
