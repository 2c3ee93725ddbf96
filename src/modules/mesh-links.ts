// mesh_links: docker0 with the host's gateway address, a veth pair from it into the OVS bridge,
// and on the netdev datapath the underlay address moved onto the OVS underlay bridge; plus a
// boot unit that re-creates all of it, since Linux keeps none of these links across a reboot.
// params: ovs_bridge, docker_bridge, address (docker0's own address with its prefix), mtu,
//   routes? (networks routed through docker0, e.g. the whole pool when each host has its own
//   subnet), underlay? {interface, bridge}, veth? {bridge_end, ovs_end}, tx_checksum_off?,
//   script?, unit?, state (present|absent).
//   - name: docker0 on the mesh
//     module: mesh_links
//     params: { ovs_bridge: br0, docker_bridge: docker0, address: "{{ mesh.gateway_cidr }}", mtu: "{{ mesh.mtu }}" }
import { z } from 'zod';
import { bootScriptParams, defineBootScriptModule, type BootScriptFacts } from './boot-script.js';
import { linksScript, linksUnit, type LinksSettings } from './mesh-links-script.js';

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be an interface name');

const params = z.strictObject({
  ovs_bridge: ifname,
  docker_bridge: ifname,
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an address with its prefix, e.g. 10.240.1.1/16'),
  mtu: z.number().int().min(576).max(65535),
  routes: z.array(z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be a network with its prefix, e.g. 10.240.0.0/16')).default([]),
  underlay: z.strictObject({ interface: ifname, bridge: ifname }).optional(),
  veth: z.strictObject({ bridge_end: ifname, ovs_end: ifname }).default({ bridge_end: 'veth-mesh', ovs_end: 'veth-ovs' }),
  tx_checksum_off: z.boolean().default(true),
  ...bootScriptParams({ script: '/usr/local/lib/meshctl/mesh-links.sh', unit: 'meshctl-mesh-links.service' }),
});
export type MeshLinksParams = z.output<typeof params>;
export type MeshLinksFacts = BootScriptFacts;

export function settingsOf(p: MeshLinksParams): LinksSettings {
  const settings: LinksSettings = {
    ovsBridge: p.ovs_bridge,
    dockerBridge: p.docker_bridge,
    address: p.address,
    routes: p.routes,
    mtu: p.mtu,
    vethBridgeEnd: p.veth.bridge_end,
    vethOvsEnd: p.veth.ovs_end,
    txChecksumOff: p.tx_checksum_off,
  };
  if (p.underlay !== undefined) settings.underlay = p.underlay;
  return settings;
}

const DESCRIPTION = 'meshctl: container mesh links (docker0, veth to OVS, underlay address)';

export const meshLinks = defineBootScriptModule<MeshLinksParams>({
  name: 'mesh_links',
  params,
  scriptName: 'mesh-links',
  script: (p) => linksScript(settingsOf(p)),
  unit: (p) => linksUnit(DESCRIPTION, p.script),
  inPlace(p) {
    const routed = p.routes.length === 0 ? '' : `, routes ${p.routes.join(' ')} through it`;
    return `${p.docker_bridge} ${p.address} is linked to ${p.ovs_bridge}${routed}, restored at boot by ${p.unit}`;
  },
  nothingLeft: (p) => `no mesh links left (${p.docker_bridge}, ${p.veth.bridge_end}, ${p.unit})`,
});
