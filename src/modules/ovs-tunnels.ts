// ovs_tunnels: exactly one tunnel port per peer on an OVS bridge; tunnel ports meshctl made that
// are no longer wanted go (any type), ports it did not make are never touched.
// params: bridge, type (gre|vxlan), peers [{name, underlay_address}], options? (extra
//   interface options, e.g. {key: "42"}), protected? (default false), state (present|absent).
//   - name: VXLAN port to every peer
//     module: ovs_tunnels
//     params: { bridge: br0, type: vxlan, peers: "{{ mesh.peers }}", protected: true }
//
// Every port it makes carries the mark external_ids:meshctl=tunnel on its Port record. Ports made
// before the mark existed are recognised by their shape: a gre or vxlan interface named as
// tunnelPortName names them (`gre-node2`); they get the mark on the next run.
// `protected: true` sets the Port column protected=true (OVS 2.10 or newer) on every tunnel port:
// OVS never forwards between two protected ports, so a full mesh of tunnels is loop-free (split
// horizon) without spanning tree.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run, type Step } from '../engine/module.js';
import { isIPv4 } from '../network/ipv4.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { bridgeExistsGuard, NO_BRIDGE, ovsMap, ovsOptional, parseOvsTable } from './ovsdb.js';

const TUNNEL_TYPES = ['gre', 'vxlan'] as const;

const params = z.strictObject({
  bridge: z.string().regex(/^[A-Za-z0-9_-]{1,15}$/),
  type: z.enum(TUNNEL_TYPES),
  peers: z.array(z.strictObject({ name: z.string().min(1), underlay_address: z.string().refine(isIPv4, 'must be an IPv4 address') })),
  // Values reach ovs-vsctl's own parser inside a shell-quoted word: kept to characters that
  // need no escaping there, and always written double-quoted (ovsString). Whole numbers too, so
  // that `key: "{{ mesh.vxlan.vni }}"` can pass the VNI as it is.
  options: z
    .record(
      z.string().regex(/^[a-z_]+$/),
      z.union([z.number().int().nonnegative().transform(String), z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits and . _ : -')]),
    )
    .refine((o) => !('remote_ip' in o), 'remote_ip comes from each peer')
    .default({}),
  protected: z.boolean().default(false),
  state: z.enum(['present', 'absent']).default('present'),
});
export type OvsTunnelsParams = z.output<typeof params>;

/** A port on the bridge with its interface of the same name (tunnels, veths, devices alike). */
export interface BridgePort {
  name: string;
  /** The interface's type: gre, vxlan, internal, '' for a system device. */
  type: string;
  options: Record<string, string>;
  /** The Port record carries meshctl's mark, external_ids:meshctl=tunnel. */
  marked: boolean;
  /** The Port column `protected`. */
  protected: boolean;
  /** OpenFlow port number: -1 when OVS could not open the interface, null before it tried. */
  ofport: number | null;
  /** Why OVS could not open the interface (its `error` column), if it could not. */
  error: string | null;
}

export interface OvsTunnelsFacts {
  /** The bridge's ports, in list-ports order; undefined when the bridge does not exist. */
  ports: BridgePort[] | undefined;
}

const MARK = { key: 'meshctl', value: 'tunnel' } as const;

/**
 * Port name for a peer: `gre-<peer>` when that fits the 15 characters of an interface name,
 * else `gre-<hash>`; either way stable for the same peer.
 */
export function tunnelPortName(type: string, peer: string): string {
  const plain = `${type}-${peer}`;
  if (plain.length <= 15 && /^[A-Za-z0-9_.-]+$/.test(peer)) return plain;
  return `${type}-${createHash('sha256').update(peer).digest('hex').slice(0, 14 - type.length)}`;
}

/** Made by meshctl: marked, or made before the mark by a version that named ports the same way. */
export function isOwnTunnel(port: BridgePort): boolean {
  if (port.marked) return true;
  const tunnel = (TUNNEL_TYPES as readonly string[]).includes(port.type);
  return tunnel && port.name.length <= 15 && new RegExp(`^${port.type}-[A-Za-z0-9_.-]+$`).test(port.name);
}

const INTERFACES = '@@meshctl-interfaces';
const PORTS = '@@meshctl-ports';

export const ovsTunnels = defineModule<OvsTunnelsParams, OvsTunnelsFacts>({
  name: 'ovs_tunnels',
  params,
  facts: (p) => ({
    ports: {
      command: [
        ...bridgeExistsGuard(p.bridge),
        `ovs-vsctl list-ports ${shellQuote(p.bridge)}`,
        `echo ${INTERFACES}`,
        'ovs-vsctl --format=json --columns=name,type,options,ofport,error list interface',
        `echo ${PORTS}`,
        'ovs-vsctl --format=json --columns=name,protected,external_ids list port',
      ].join(' && '),
      parse: (r) => parseBridgePorts(r),
    },
  }),
  plan(p, facts) {
    const own = (facts.ports ?? []).filter(isOwnTunnel);
    if (p.state === 'absent') {
      if (own.length === 0) return ok(`no tunnel ports of meshctl's on ${p.bridge}`);
      return change(
        `remove ${own.length} tunnel port(s) from ${p.bridge}: ${own.map((port) => port.name).join(', ')}`,
        own.map((port) => delPort(p.bridge, port.name)),
      );
    }
    const existing = facts.ports;
    if (existing === undefined) refuse(`bridge ${p.bridge} does not exist: create it before its tunnels`);

    const wanted = new Map(p.peers.map((peer) => [tunnelPortName(p.type, peer.name), { ...p.options, remote_ip: peer.underlay_address }]));
    const steps: Step[] = [];
    const reasons: string[] = [];
    const marked: string[] = [];
    const protection: string[] = [];
    const broken: string[] = [];
    for (const port of own) {
      if (wanted.has(port.name)) continue;
      reasons.push(port.type === p.type ? `remove ${port.name}` : `remove ${port.name} (${port.type})`);
      steps.push(delPort(p.bridge, port.name));
    }
    for (const [name, options] of wanted) {
      const port = existing.find((e) => e.name === name);
      if (port === undefined) {
        reasons.push(`add ${name} → ${options.remote_ip}`);
        steps.push(addPort(p, name, options));
        continue;
      }
      if (!isOwnTunnel(port)) {
        refuse(`${name} on ${p.bridge} is a port meshctl did not make (type '${port.type}'): rename or remove it, then run again`);
      }
      const interfaceSettings: string[] = [];
      const portSettings: string[] = [];
      if (port.type !== p.type || !sameOptions(port.options, options)) {
        if (port.type !== p.type) interfaceSettings.push(`type=${p.type}`);
        interfaceSettings.push(`options=${ovsMapLiteral(options)}`);
        reasons.push(`update ${name} → ${options.remote_ip}`);
      }
      if (!port.marked) {
        portSettings.push(markSetting());
        marked.push(name);
      }
      if (port.protected !== p.protected) {
        portSettings.push(`protected=${p.protected}`);
        protection.push(name);
      }
      if (interfaceSettings.length > 0 || portSettings.length > 0) {
        steps.push(setPort(name, interfaceSettings, portSettings));
      } else if (port.ofport === -1) {
        // ovs-vsctl said "Error detected while setting up" and still exited 0: only the
        // interface's own columns tell that this tunnel carries nothing.
        broken.push(`${name} (${port.error ?? 'OVS gave no reason'})`);
      }
    }
    if (marked.length > 0) reasons.push(`mark ${marked.join(', ')} as meshctl's`);
    if (protection.length > 0) reasons.push(`${p.protected ? 'protect' : 'unprotect'} ${protection.join(', ')}`);
    if (steps.length > 0) return change(reasons.join('; '), steps);
    if (broken.length > 0) refuse(`OVS could not open ${broken.join('; ')}`);
    const split = p.protected && wanted.size > 0 ? ', all protected (no forwarding between tunnels)' : '';
    return ok(`${wanted.size} ${p.type} port(s) on ${p.bridge}, one per peer${split}`);
  },
});

function delPort(bridge: string, name: string): Step {
  return run(shellJoin(['ovs-vsctl', '--if-exists', 'del-port', bridge, name]));
}

/** One transaction: the port, its interface, and the Port's mark (and protection). */
function addPort(p: OvsTunnelsParams, name: string, options: Record<string, string>): Step {
  const settings = Object.entries(options).map(([key, value]) => `options:${key}=${ovsString(value)}`);
  const portSettings = [markSetting(), ...(p.protected ? ['protected=true'] : [])];
  return run(
    shellJoin([
      'ovs-vsctl', '--may-exist', 'add-port', p.bridge, name,
      '--', 'set', 'interface', name, `type=${p.type}`, ...settings,
      '--', 'set', 'port', name, ...portSettings,
    ]),
  );
}

function setPort(name: string, interfaceSettings: string[], portSettings: string[]): Step {
  const commands = [
    ...(interfaceSettings.length > 0 ? [['set', 'interface', name, ...interfaceSettings]] : []),
    ...(portSettings.length > 0 ? [['set', 'port', name, ...portSettings]] : []),
  ];
  return run(shellJoin(['ovs-vsctl', ...commands.flatMap((command, i) => (i === 0 ? command : ['--', ...command]))]));
}

function markSetting(): string {
  return `external_ids:${MARK.key}=${ovsString(MARK.value)}`;
}

function sameOptions(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/** `"10.0.0.2"`: a value as ovs-vsctl reads a string, quoted so that no character means syntax. */
function ovsString(value: string): string {
  return JSON.stringify(value);
}

/** `{remote_ip="10.0.0.2", key="42"}`: ovs-vsctl's map syntax, every value quoted the same way. */
function ovsMapLiteral(options: Record<string, string>): string {
  return `{${Object.entries(options).map(([k, v]) => `${k}=${ovsString(v)}`).join(', ')}}`;
}

export function parseBridgePorts(result: ExecResult): BridgePort[] | undefined {
  if (result.code === NO_BRIDGE) return undefined;
  if (result.code !== 0) throw new FactParseError(result.stderr.trim() || `exit ${result.code}`);
  const [portList = '', rest = ''] = result.stdout.split(`${INTERFACES}\n`);
  const [interfaceJson, portJson] = rest.split(`${PORTS}\n`);
  if (interfaceJson === undefined || portJson === undefined) {
    throw new FactParseError('ovs-vsctl printed less than the ports, interfaces and port records asked for');
  }
  const interfaces = new Map(parseOvsTable(interfaceJson).map((row) => [String(row.name), row]));
  const ports = new Map(parseOvsTable(portJson).map((row) => [String(row.name), row]));
  return portList
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name !== '')
    .flatMap((name) => {
      const iface = interfaces.get(name);
      // A bond's interfaces have names of their own: no tunnel of meshctl's.
      if (iface === undefined) return [];
      const port = ports.get(name);
      const ofport = ovsOptional(iface.ofport);
      const error = ovsOptional(iface.error);
      return [{
        name,
        type: String(iface.type),
        options: ovsMap(iface.options),
        marked: ovsMap(port?.external_ids)[MARK.key] === MARK.value,
        protected: port?.protected === true,
        ofport: typeof ofport === 'number' ? ofport : null,
        error: typeof error === 'string' ? error : null,
      }];
    });
}
