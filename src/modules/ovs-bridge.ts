// ovs_bridge: an Open vSwitch bridge with its datapath, spanning tree, MTU, MAC and plain ports.
// params: name, datapath_type (system|netdev), spanning_tree (rstp|stp|off), mtu?, hwaddr_of?
//   (take the MAC of this interface: an underlay bridge must answer ARP as the NIC did),
//   ports? (system interfaces to add, e.g. [eth1]), state (present|absent).
//   - name: Mesh bridge
//     module: ovs_bridge
//     params: { name: br0, datapath_type: netdev, spanning_tree: rstp, mtu: 1462 }
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, run, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { bridgeExistsGuard, NO_BRIDGE, ovsMap, ovsOptional, parseOvsTable } from './ovsdb.js';

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be an interface name');

const params = z.strictObject({
  name: ifname,
  datapath_type: z.enum(['system', 'netdev']).default('system'),
  spanning_tree: z.enum(['rstp', 'stp', 'off']).default('off'),
  mtu: z.number().int().min(68).max(65535).optional(),
  hwaddr_of: ifname.optional(),
  ports: z.array(ifname).default([]),
  state: z.enum(['present', 'absent']).default('present'),
});
export type OvsBridgeParams = z.output<typeof params>;

export interface BridgeState {
  datapath_type: string;
  stp: boolean;
  rstp: boolean;
  hwaddr: string | undefined;
  mtu_request: number | undefined;
  ports: string[];
}

export interface OvsBridgeFacts {
  /** undefined: no such bridge. */
  bridge: BridgeState | undefined;
  /** MAC of `hwaddr_of`, when asked. */
  mac: string | undefined;
}

const SEP = '@@meshctl-ports';

export const ovsBridge = defineModule<OvsBridgeParams, OvsBridgeFacts>({
  name: 'ovs_bridge',
  params,
  facts: (p) => ({
    bridge: {
      command: [
        ...bridgeExistsGuard(p.name),
        `ovs-vsctl --format=json --columns=datapath_type,stp_enable,rstp_enable,other_config list bridge ${shellQuote(p.name)}`,
        `ovs-vsctl --format=json --columns=mtu_request list interface ${shellQuote(p.name)}`,
        `echo ${SEP}`,
        `ovs-vsctl list-ports ${shellQuote(p.name)}`,
      ].join(' && '),
      parse: parseBridge,
    },
    mac: {
      command: p.hwaddr_of === undefined ? 'true' : `cat /sys/class/net/${shellQuote(p.hwaddr_of)}/address`,
      parse: (r) => (p.hwaddr_of === undefined ? undefined : expectOk(r, `MAC of ${p.hwaddr_of}`).trim()),
    },
  }),
  plan(p, facts) {
    const { bridge } = facts;
    if (p.state === 'absent') {
      return bridge === undefined ? ok(`bridge ${p.name} is absent`) : change(`remove bridge ${p.name}`, [run(shellJoin(['ovs-vsctl', '--if-exists', 'del-br', p.name]))]);
    }
    const wanted = wantedSettings(p, facts.mac);
    const steps: Step[] = [];
    const reasons: string[] = [];
    if (bridge === undefined) {
      reasons.push(`create bridge ${p.name}`);
      steps.push(run(shellJoin(['ovs-vsctl', 'add-br', p.name, '--', 'set', 'bridge', p.name, ...wanted.bridgeSettings])));
    } else {
      const drift = bridgeDrift(bridge, p, facts.mac);
      if (drift.length > 0) {
        reasons.push(`set ${drift.join(', ')} on ${p.name}`);
        steps.push(run(shellJoin(['ovs-vsctl', 'set', 'bridge', p.name, ...wanted.bridgeSettings])));
      }
    }
    if (p.mtu !== undefined && bridge?.mtu_request !== p.mtu) {
      if (bridge !== undefined) reasons.push(`mtu ${p.mtu}`);
      steps.push(run(shellJoin(['ovs-vsctl', 'set', 'interface', p.name, `mtu_request=${p.mtu}`])));
    }
    const missing = p.ports.filter((port) => !(bridge?.ports ?? []).includes(port));
    if (missing.length > 0) {
      reasons.push(`add port ${missing.join(', ')}`);
      for (const port of missing) steps.push(run(shellJoin(['ovs-vsctl', '--may-exist', 'add-port', p.name, port])));
    }
    if (steps.length === 0) return ok(`bridge ${p.name} (${p.datapath_type}, spanning tree ${p.spanning_tree}) is as wanted`);
    return change(reasons.join('; '), steps);
  },
});

function wantedSettings(p: OvsBridgeParams, mac: string | undefined): { bridgeSettings: string[] } {
  const bridgeSettings = [
    `datapath_type=${p.datapath_type}`,
    `stp_enable=${p.spanning_tree === 'stp'}`,
    `rstp_enable=${p.spanning_tree === 'rstp'}`,
  ];
  if (mac !== undefined) bridgeSettings.push(`other_config:hwaddr="${mac}"`);
  return { bridgeSettings };
}

function bridgeDrift(bridge: BridgeState, p: OvsBridgeParams, mac: string | undefined): string[] {
  const drift: string[] = [];
  if (bridge.datapath_type !== p.datapath_type && !(bridge.datapath_type === '' && p.datapath_type === 'system')) {
    drift.push(`datapath ${p.datapath_type}`);
  }
  if (bridge.stp !== (p.spanning_tree === 'stp') || bridge.rstp !== (p.spanning_tree === 'rstp')) drift.push(`spanning tree ${p.spanning_tree}`);
  if (mac !== undefined && bridge.hwaddr !== mac) drift.push(`hwaddr ${mac}`);
  return drift;
}

export function parseBridge(result: ExecResult): BridgeState | undefined {
  if (result.code === NO_BRIDGE) return undefined;
  const [tables = '', portList = ''] = expectOk(result, 'bridge').split(`${SEP}\n`);
  const [bridgeJson = '', interfaceJson = ''] = tables.trim().split('\n');
  const [row] = parseOvsTable(bridgeJson);
  const [iface] = parseOvsTable(interfaceJson);
  if (row === undefined) return undefined;
  const mtu = ovsOptional(iface?.mtu_request);
  return {
    datapath_type: String(row.datapath_type ?? ''),
    stp: row.stp_enable === true,
    rstp: row.rstp_enable === true,
    hwaddr: ovsMap(row.other_config).hwaddr,
    mtu_request: typeof mtu === 'number' ? mtu : undefined,
    ports: portList.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
  };
}

function expectOk(result: ExecResult, what: string): string {
  if (result.code !== 0) throw new FactParseError(`cannot read ${what}: ${result.stderr.trim() || `exit ${result.code}`}`);
  return result.stdout;
}
