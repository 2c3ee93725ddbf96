// What vxlan_routes wants on one host, derived from its params alone: the plan compares it with
// the facts, the generated script makes it. Pure.
import { firstHost, prefixOf } from '../network/ipv4.js';
import { MESHCTL_ROUTE_PROTO } from '../network/routes.js';

export interface VxlanSettings {
  mode: 'vxlan' | 'host-gw';
  device: string;
  vni: number;
  port: number;
  underlay: { interface: string; address: string };
  /** This host's subnet, e.g. 10.240.1.0/24. */
  subnet: string;
  pool: string;
  mtu: number;
  peers: readonly { name: string; underlay_address: string; subnet: string }[];
  ipMasq: boolean;
  envFile: string;
}

export interface WantedPeer {
  name: string;
  underlay: string;
  subnet: string;
  /** The peer's subnet's network address: its VXLAN device's own address, our next hop. */
  net: string;
  mac: string;
}

export interface WantedRoute {
  dst: string;
  gateway: string;
  dev: string;
  onlink: boolean;
}

export interface WantedState {
  /** The VXLAN device, or undefined in host-gw mode. */
  device?: { name: string; vni: number; port: number; local: string; link: string; mac: string; mtu: number; address: string };
  peers: WantedPeer[];
  routes: WantedRoute[];
  /** Our MASQUERADE rule: this host's subnet to anywhere outside the pool. */
  masquerade?: { source: string; destination: string };
  envFile: string;
  envText: string;
}

// Marks the routes this module makes (`ip route ... proto 109`): see src/network/routes.ts.
export const ROUTE_PROTO = MESHCTL_ROUTE_PROTO;
export const MASQUERADE_COMMENT = 'meshctl vxlan_routes';

/**
 * The VTEP MAC of the host with this underlay address: 0e:6d (locally administered, unicast)
 * then the address's four bytes. Every host derives each peer's MAC the same way, so no host
 * has to learn or ask (flannel keeps a random one in its lease instead).
 */
export function vtepMac(underlay: string): string {
  const hex = underlay.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'));
  return ['0e', '6d', ...hex].join(':');
}

export const networkOf = (cidr: string): string => cidr.split('/')[0] ?? cidr;

export function wantedState(s: VxlanSettings): WantedState {
  const peers = s.peers.map((peer) => ({ name: peer.name, underlay: peer.underlay_address, subnet: peer.subnet, net: networkOf(peer.subnet), mac: vtepMac(peer.underlay_address) }));
  const vxlan = s.mode === 'vxlan';
  const routes = peers.map((peer) =>
    vxlan ? { dst: peer.subnet, gateway: peer.net, dev: s.device, onlink: true } : { dst: peer.subnet, gateway: peer.underlay, dev: s.underlay.interface, onlink: false },
  );
  const state: WantedState = { peers, routes, envFile: s.envFile, envText: subnetEnv(s) };
  if (vxlan) {
    // Like flannel: the device holds the network address of this host's subnet as a /32, which
    // is the source of what the host itself sends into the mesh and the peers' next hop here.
    state.device = { name: s.device, vni: s.vni, port: s.port, local: s.underlay.address, link: s.underlay.interface, mac: vtepMac(s.underlay.address), mtu: s.mtu, address: `${networkOf(s.subnet)}/32` };
  }
  if (s.ipMasq) state.masquerade = { source: s.subnet, destination: s.pool };
  return state;
}

/** /run/flannel/subnet.env as flannel writes it, for tools (and CNI's flannel plugin) that read it. */
function subnetEnv(s: VxlanSettings): string {
  return [
    `FLANNEL_NETWORK=${s.pool}`,
    `FLANNEL_SUBNET=${firstHost(s.subnet)}/${prefixOf(s.subnet)}`,
    `FLANNEL_MTU=${s.mtu}`,
    `FLANNEL_IPMASQ=${s.ipMasq}`,
    '',
  ].join('\n');
}
