// MTU arithmetic. What each backend's encapsulation costs is the backend's own (src/backends/).

/** Smallest mesh MTU we accept: the IPv4 minimum datagram every host must take. */
export const MIN_MESH_MTU = 576;

/** ICMP echo payload that fills exactly one packet of `mtu` (IPv4 20 + ICMP 8 headers). */
export function pingPayloadFor(mtu: number): number {
  return mtu - 28;
}
