// What preflight reads on each host before `up` changes anything, and the pure parsers of it.
// All of it is read-only and travels in one remote command (readPreflightFacts in run.ts). Example:
//   parsePreflightFacts({ machineId: result, … })  // { machineId, hostname, routes, underlay }
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';

/** One route of `ip -4 route show`: its destination (`default` or a CIDR) and the device it leaves by. */
export interface Route {
  destination: string;
  device: string | undefined;
  /** The line as `ip` printed it, for messages. */
  text: string;
}

export interface UnderlayLink {
  mtu: number;
  /** The IPv4 addresses on it, CIDR form. */
  addresses: string[];
}

export interface PreflightFacts {
  /** Empty /etc/machine-id (or none): systemd has not given the host one yet. */
  machineId: string | undefined;
  hostname: string | undefined;
  routes: Route[];
  /** undefined: the host has no interface of that name. */
  underlay: UnderlayLink | undefined;
}

export type FactName = 'machineId' | 'hostname' | 'routes' | 'link' | 'addresses';

/** The commands, one per fact; the underlay's name comes from the inventory and is quoted. */
export function preflightCommands(underlayInterface: string): Record<FactName, string> {
  return {
    machineId: 'cat /etc/machine-id',
    hostname: 'hostname',
    routes: 'ip -4 route show',
    // `mtu N` is in this line; sysfs would say the same, one command more.
    link: shellJoin(['ip', '-o', 'link', 'show', 'dev', underlayInterface]),
    addresses: shellJoin(['ip', '-4', '-o', 'addr', 'show', 'dev', underlayInterface]),
  };
}

export const FACT_NAMES: readonly FactName[] = ['machineId', 'hostname', 'routes', 'link', 'addresses'];

export function parsePreflightFacts(results: Record<FactName, ExecResult>): PreflightFacts {
  const mtu = parseLinkMtu(results.link.stdout);
  return {
    machineId: nonEmpty(results.machineId),
    hostname: nonEmpty(results.hostname),
    routes: results.routes.code === 0 ? parseRoutes(results.routes.stdout) : [],
    underlay: mtu === undefined ? undefined : { mtu, addresses: parseAddresses(results.addresses.stdout) },
  };
}

function nonEmpty(result: ExecResult): string | undefined {
  const text = result.stdout.trim();
  return result.code === 0 && text !== '' ? text : undefined;
}

// Route types that come before the destination; a plain `unicast` route prints none.
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

/** `10.0.0.0/8 via 10.1.0.1 dev tun0 proto static`, `default via …`, `10.1.0.1 dev eth0` (a /32). */
export function parseRoutes(stdout: string): Route[] {
  return stdout.split('\n').flatMap((line): Route[] => {
    const words = line.trim().split(/\s+/).filter((word) => word !== '');
    if (words.length === 0) return [];
    const first = ROUTE_TYPES.has(words[0] ?? '') ? 1 : 0;
    const target = words[first];
    if (target === undefined) return [];
    const destination = target === 'default' || target.includes('/') ? target : `${target}/32`;
    const dev = words.indexOf('dev');
    return [{ destination, device: dev === -1 ? undefined : words[dev + 1], text: line.trim() }];
  });
}

/** `2: eth1@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc …`; nothing when there is no such link. */
export function parseLinkMtu(stdout: string): number | undefined {
  const match = /\smtu (\d+)\s/.exec(` ${stdout} `);
  return match === null ? undefined : Number(match[1]);
}

/** `3: eth1    inet 172.31.1.11/24 brd 172.31.1.255 scope global eth1\       valid_lft …` */
export function parseAddresses(stdout: string): string[] {
  return [...stdout.matchAll(/\sinet (\d+\.\d+\.\d+\.\d+\/\d+)\s/g)].map((match) => match[1] ?? '');
}
