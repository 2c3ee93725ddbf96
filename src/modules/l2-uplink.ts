// l2_uplink: the underlay NIC joined to the Docker bridge, so containers sit on the physical
// subnet, with the NIC's addresses and routes (the default route too) moved onto the bridge in one
// step that gives them back if it fails; plus a boot unit that does it again before Docker starts.
// params: nic, docker_bridge, address (the host's own address with the subnet's prefix: the
//   bridge's after the move), mtu, vlan? {ovs_bridge, tag, veth? {bridge_end, ovs_end}} (the NIC
//   is then a trunk port of ovs_bridge, added by an ovs_bridge task, and the bridge joins it by a
//   veth whose OVS end is an access port with that tag), tx_checksum_off?, script?, unit?,
//   state (present|absent).
//   - name: docker0 on the physical subnet
//     module: l2_uplink
//     params: { nic: eth1, docker_bridge: docker0, address: 10.211.1.11/24, mtu: 1500 }
import { z } from 'zod';
import { bootScriptParams, defineBootScriptModule, type BootScriptFacts } from './boot-script.js';
import { uplinkScript, uplinkUnit, type UplinkSettings } from './l2-uplink-script.js';

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be an interface name');

const params = z
  .strictObject({
    nic: ifname,
    docker_bridge: ifname,
    address: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an address with its prefix, e.g. 10.211.1.11/24'),
    mtu: z.number().int().min(576).max(65535),
    vlan: z
      .strictObject({
        ovs_bridge: ifname,
        tag: z.number().int().min(1).max(4094),
        veth: z.strictObject({ bridge_end: ifname, ovs_end: ifname }).default({ bridge_end: 'veth-l2', ovs_end: 'veth-l2-ovs' }),
      })
      // null as well as absent: a playbook passes `vlan: "{{ mesh.trunk }}"`, null when untagged.
      .nullish()
      .transform((vlan) => vlan ?? undefined),
    tx_checksum_off: z.boolean().default(true),
    ...bootScriptParams({ script: '/usr/local/lib/meshctl/l2-uplink.sh', unit: 'meshctl-l2-uplink.service' }),
  })
  .refine((p) => p.nic !== p.docker_bridge, { message: 'nic and docker_bridge must be two interfaces', path: ['docker_bridge'] });
export type L2UplinkParams = z.output<typeof params>;
export type L2UplinkFacts = BootScriptFacts;

export function uplinkSettingsOf(p: L2UplinkParams): UplinkSettings {
  const settings: UplinkSettings = { nic: p.nic, dockerBridge: p.docker_bridge, address: p.address, mtu: p.mtu, txChecksumOff: p.tx_checksum_off };
  if (p.vlan !== undefined) {
    settings.vlan = { ovsBridge: p.vlan.ovs_bridge, tag: p.vlan.tag, vethBridgeEnd: p.vlan.veth.bridge_end, vethOvsEnd: p.vlan.veth.ovs_end };
  }
  return settings;
}

export const l2Uplink = defineBootScriptModule<L2UplinkParams>({
  name: 'l2_uplink',
  params,
  scriptName: 'l2-uplink',
  script: (p) => uplinkScript(uplinkSettingsOf(p)),
  unit: (p) => uplinkUnit(p.script, p.vlan !== undefined),
  inPlace(p) {
    const joined = p.vlan === undefined ? `${p.nic} in it` : `on VLAN ${p.vlan.tag} of ${p.vlan.ovs_bridge} (${p.nic}'s trunk)`;
    return `${p.docker_bridge} holds ${p.address} and the routes of ${p.nic}, ${joined}, restored at boot by ${p.unit}`;
  },
  nothingLeft: (p) => `no uplink of ${p.nic} left (${[p.docker_bridge, p.vlan?.veth.bridge_end, p.unit].filter((x) => x !== undefined).join(', ')})`,
});
