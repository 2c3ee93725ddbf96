// Picks the /24 pair a new sandbox uses: 10.210.K.0/24 (management) and 10.211.K.0/24 (underlay),
// with the lowest K that overlaps no subnet already taken. Example: pickSubnetPair(['10.210.1.0/24']) → K = 2.

/** Management and underlay share the third octet K, so 10.210.K.11 and 10.211.K.11 are one host. */
export const managementPrefix = '10.210';
export const underlayPrefix = '10.211';

export interface SubnetPair {
  index: number;
  management: string;
  underlay: string;
}

export function subnetPair(index: number): SubnetPair {
  return { index, management: `${managementPrefix}.${index}.0/24`, underlay: `${underlayPrefix}.${index}.0/24` };
}

/** Address of host `ordinal` (1-based) in a /24: .11, .12, ... */
export function hostAddress(subnet: string, ordinal: number): string {
  const base = subnet.split('/')[0] ?? '';
  return `${base.split('.').slice(0, 3).join('.')}.${10 + ordinal}`;
}

/** .254 of a /24: where a sandbox starts a router for backends that want an outside gateway. */
export function routerAddress(subnet: string): string {
  return hostAddress(subnet, 244);
}

/** Hosts use .11 to .210 of a /24 (.1 is the Docker gateway); far more than 2 cores can boot anyway. */
export const maxHosts = 200;

/** Lowest free K in 1..254 not in `skip`; undefined when all are taken. Bad CIDRs in `taken` are ignored. */
export function pickSubnetPair(taken: readonly string[], skip: ReadonlySet<number> = new Set()): SubnetPair | undefined {
  const ranges = taken.map(parseCidr).filter((r): r is Range => r !== undefined);
  for (let index = 1; index <= 254; index++) {
    if (skip.has(index)) continue;
    const pair = subnetPair(index);
    const candidates = [parseCidr(pair.management), parseCidr(pair.underlay)];
    if (candidates.every((c) => c !== undefined && !ranges.some((r) => overlaps(c, r)))) return pair;
  }
  return undefined;
}

interface Range {
  first: number;
  last: number;
}

export function parseCidr(cidr: string): Range | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (match === null) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return { first, last: first + size - 1 };
}

function overlaps(a: Range, b: Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}
