// ovs_tunnels: exactly one tunnel port per peer on an OVS bridge; stale tunnel ports go.
// params: bridge, type (gre|vxlan), peers [{name, underlay_address}], options? (extra
//   interface options, e.g. {key: "42"}), state (present|absent).
//   - name: GRE port to every peer
//     module: ovs_tunnels
//     params: { bridge: br0, type: gre, peers: "{{ mesh.peers }}" }
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run, type Step } from '../engine/module.js';
import { isIPv4 } from '../network/ipv4.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { bridgeExistsGuard, NO_BRIDGE, ovsMap, parseOvsTable } from './ovsdb.js';

const params = z.strictObject({
  bridge: z.string().regex(/^[A-Za-z0-9_-]{1,15}$/),
  type: z.enum(['gre', 'vxlan']),
  peers: z.array(z.strictObject({ name: z.string().min(1), underlay_address: z.string().refine(isIPv4, 'must be an IPv4 address') })),
  // Values reach ovs-vsctl's own parser inside a shell-quoted word: kept to characters that
  // need no escaping there, and always written double-quoted (ovsString).
  options: z
    .record(z.string().regex(/^[a-z_]+$/), z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits and . _ : -'))
    .refine((o) => !('remote_ip' in o), 'remote_ip comes from each peer')
    .default({}),
  state: z.enum(['present', 'absent']).default('present'),
});
export type OvsTunnelsParams = z.output<typeof params>;

export interface TunnelPort {
  name: string;
  type: string;
  options: Record<string, string>;
}

export interface OvsTunnelsFacts {
  /** Tunnel ports of this type on the bridge; undefined when the bridge does not exist. */
  ports: TunnelPort[] | undefined;
}

/**
 * Port name for a peer: `gre-<peer>` when that fits the 15 characters of an interface name,
 * else `gre-<hash>`; either way stable for the same peer.
 */
export function tunnelPortName(type: string, peer: string): string {
  const plain = `${type}-${peer}`;
  if (plain.length <= 15 && /^[A-Za-z0-9_.-]+$/.test(peer)) return plain;
  return `${type}-${createHash('sha256').update(peer).digest('hex').slice(0, 14 - type.length)}`;
}

const SEP = '@@meshctl-interfaces';

export const ovsTunnels = defineModule<OvsTunnelsParams, OvsTunnelsFacts>({
  name: 'ovs_tunnels',
  params,
  facts: (p) => ({
    ports: {
      command: [
        ...bridgeExistsGuard(p.bridge),
        `ovs-vsctl list-ports ${shellQuote(p.bridge)}`,
        `echo ${SEP}`,
        `ovs-vsctl --format=json --columns=name,type,options find interface type=${shellQuote(p.type)}`,
      ].join(' && '),
      parse: (r) => parseTunnelPorts(r),
    },
  }),
  plan(p, facts) {
    const existing = facts.ports;
    if (p.state === 'absent') {
      if (existing === undefined || existing.length === 0) return ok(`no ${p.type} ports on ${p.bridge}`);
      return change(
        `remove ${existing.length} ${p.type} port(s) from ${p.bridge}`,
        existing.map((port) => run(shellJoin(['ovs-vsctl', '--if-exists', 'del-port', p.bridge, port.name]))),
      );
    }
    if (existing === undefined) refuse(`bridge ${p.bridge} does not exist: create it before its tunnels`);
    const wanted = new Map(p.peers.map((peer) => [tunnelPortName(p.type, peer.name), { ...p.options, remote_ip: peer.underlay_address }]));
    const steps: Step[] = [];
    const reasons: string[] = [];
    for (const port of existing) {
      if (!wanted.has(port.name)) {
        reasons.push(`remove ${port.name}`);
        steps.push(run(shellJoin(['ovs-vsctl', '--if-exists', 'del-port', p.bridge, port.name])));
      }
    }
    for (const [name, options] of wanted) {
      const port = existing.find((e) => e.name === name);
      const settings = Object.entries(options).map(([key, value]) => `options:${key}=${ovsString(value)}`);
      if (port === undefined) {
        reasons.push(`add ${name} → ${options.remote_ip}`);
        steps.push(run(shellJoin(['ovs-vsctl', '--may-exist', 'add-port', p.bridge, name, '--', 'set', 'interface', name, `type=${p.type}`, ...settings])));
      } else if (!sameOptions(port.options, options)) {
        reasons.push(`update ${name} → ${options.remote_ip}`);
        steps.push(run(shellJoin(['ovs-vsctl', 'set', 'interface', name, `options=${ovsMapLiteral(options)}`])));
      }
    }
    if (steps.length === 0) return ok(`${wanted.size} ${p.type} port(s) on ${p.bridge}, one per peer`);
    return change(reasons.join('; '), steps);
  },
});

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

export function parseTunnelPorts(result: ExecResult): TunnelPort[] | undefined {
  if (result.code === NO_BRIDGE) return undefined;
  if (result.code !== 0) throw new FactParseError(result.stderr.trim() || `exit ${result.code}`);
  const [portList = '', json = ''] = result.stdout.split(`${SEP}\n`);
  const onBridge = new Set(portList.split('\n').map((l) => l.trim()).filter(Boolean));
  return parseOvsTable(json)
    .map((row) => ({ name: String(row.name), type: String(row.type), options: ovsMap(row.options) }))
    .filter((port) => onBridge.has(port.name));
}
