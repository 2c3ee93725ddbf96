// vxlan_routes' facts: iproute2's JSON (`ip -d -j addr`, `bridge -j fdb`, `ip -j neigh`,
// `ip -j route`) and `iptables -S`, each read into the little the plan compares.
import { z } from 'zod';
import { FactParseError, type FactQuery } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';
import { MASQUERADE_COMMENT, ROUTE_PROTO } from './vxlan-routes-state.js';

export interface DeviceFact {
  /** `vxlan`, or what else holds the name. */
  kind: string;
  vni: number | null;
  port: number | null;
  local: string | null;
  link: string | null;
  learning: boolean | null;
  mtu: number;
  mac: string;
  up: boolean;
  /** IPv4 addresses with their prefix. */
  addresses: string[];
}
export interface FdbEntry {
  mac: string;
  dst: string | null;
}
export interface NeighbourEntry {
  address: string;
  mac: string | null;
  permanent: boolean;
}
export interface RouteEntry {
  dst: string;
  gateway: string | null;
  dev: string;
  onlink: boolean;
}
export interface MasqueradeRule {
  source: string;
  destination: string;
}

const deviceJson = z.array(
  z.looseObject({
    flags: z.array(z.string()),
    mtu: z.number(),
    address: z.string(),
    linkinfo: z
      .looseObject({
        info_kind: z.string(),
        info_data: z
          .looseObject({ id: z.number().optional(), port: z.number().optional(), local: z.string().optional(), link: z.string().optional(), learning: z.boolean().optional() })
          .optional(),
      })
      .optional(),
    addr_info: z.array(z.looseObject({ family: z.string(), local: z.string(), prefixlen: z.number() })).default([]),
  }),
);
const fdbJson = z.array(z.looseObject({ mac: z.string(), dst: z.string().optional() }));
const neighJson = z.array(z.looseObject({ dst: z.string(), lladdr: z.string().optional(), state: z.array(z.string()).default([]) }));
const routeJson = z.array(z.looseObject({ dst: z.string(), gateway: z.string().optional(), dev: z.string(), flags: z.array(z.string()).default([]) }));

export function deviceFact(device: string): FactQuery<DeviceFact | null> {
  return {
    command: shellJoin(['ip', '-d', '-j', 'addr', 'show', 'dev', device]),
    parse: (r) => {
      const [link] = missingDevice(r) ? [] : parseJson(r, deviceJson, 'ip -d -j addr');
      if (link === undefined) return null;
      const data = link.linkinfo?.info_data;
      return {
        kind: link.linkinfo?.info_kind ?? 'none',
        vni: data?.id ?? null,
        port: data?.port ?? null,
        local: data?.local ?? null,
        link: data?.link ?? null,
        learning: data?.learning ?? null,
        mtu: link.mtu,
        mac: link.address,
        up: link.flags.includes('UP'),
        addresses: link.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      };
    },
  };
}

export function fdbFact(device: string): FactQuery<FdbEntry[]> {
  return {
    command: shellJoin(['bridge', '-j', 'fdb', 'show', 'dev', device]),
    parse: (r) => (missingDevice(r) ? [] : parseJson(r, fdbJson, 'bridge -j fdb').map((e) => ({ mac: e.mac, dst: e.dst ?? null }))),
  };
}

export function neighbourFact(device: string): FactQuery<NeighbourEntry[]> {
  return {
    command: shellJoin(['ip', '-j', '-4', 'neigh', 'show', 'dev', device]),
    parse: (r) =>
      missingDevice(r) ? [] : parseJson(r, neighJson, 'ip -j neigh').map((e) => ({ address: e.dst, mac: e.lladdr ?? null, permanent: e.state.includes('PERMANENT') })),
  };
}

/** The routes this module made: those of its protocol number, whatever their device. */
export function routeFact(): FactQuery<RouteEntry[]> {
  return {
    command: shellJoin(['ip', '-j', '-4', 'route', 'show', 'table', 'main', 'proto', String(ROUTE_PROTO)]),
    parse: (r) => parseJson(r, routeJson, 'ip -j route').map((e) => ({ dst: e.dst, gateway: e.gateway ?? null, dev: e.dev, onlink: e.flags.includes('onlink') })),
  };
}

/** Our MASQUERADE rules in nat POSTROUTING (found by their comment); none where iptables is not installed yet. */
export function masqueradeFact(): FactQuery<MasqueradeRule[]> {
  return {
    command: 'command -v iptables >/dev/null || exit 0; iptables -w 5 -t nat -S POSTROUTING',
    parse: (r) => {
      if (r.code !== 0) throw new FactParseError(`iptables -t nat -S POSTROUTING: ${r.stderr.trim() || `exit ${r.code}`}`);
      return r.stdout
        .split('\n')
        .filter((line) => line.includes(`--comment "${MASQUERADE_COMMENT}"`))
        .map((line) => {
          const rule = /^-A POSTROUTING -s (\S+) ! -d (\S+) .*-j MASQUERADE$/.exec(line.trim());
          if (rule === null) throw new FactParseError(`a rule marked '${MASQUERADE_COMMENT}' has another shape: ${line.trim()}`);
          return { source: rule[1] as string, destination: rule[2] as string };
        });
    },
  };
}

// iproute2 says `Device "X" does not exist.` (ip addr) or `Cannot find device "X"` (bridge, neigh).
function missingDevice(r: ExecResult): boolean {
  return r.code !== 0 && /does not exist|Cannot find device/.test(r.stderr);
}

function parseJson<T>(r: ExecResult, schema: z.ZodType<T>, what: string): T {
  if (r.code !== 0) throw new FactParseError(`${what}: ${r.stderr.trim() || `exit ${r.code}`}`);
  // Some iproute2 versions print nothing at all, rather than [], when there is nothing to list.
  const text = r.stdout.trim() === '' ? '[]' : r.stdout;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FactParseError(`${what} printed no JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new FactParseError(`${what} printed an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}
