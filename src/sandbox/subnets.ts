// Picks the /24 pair a new sandbox uses: 10.210.K.0/24 (management) and 10.211.K.0/24 (underlay),
// with the lowest K that overlaps no subnet already taken. Example: pickSubnetPair(['10.210.1.0/24']) → K = 2.
import { IPv4, IPv4CidrRange, Validator } from 'ip-num';

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
  return new IPv4(IPv4CidrRange.fromCidr(subnet).getFirst().getValue() + BigInt(10 + ordinal)).toString();
}

/** .254 of a /24: where a sandbox starts a router for backends that want an outside gateway. */
export function routerAddress(subnet: string): string {
  return hostAddress(subnet, 244);
}

/** Hosts use .11 to .210 of a /24 (.1 is the Docker gateway); far more than 2 cores can boot anyway. */
export const maxHosts = 200;

/** Lowest free K in 1..254 not in `skip`; undefined when all are taken. Bad CIDRs in `taken` are ignored. */
export function pickSubnetPair(taken: readonly string[], skip: ReadonlySet<number> = new Set()): SubnetPair | undefined {
  const ranges = taken.map(cidrRange).filter((r): r is IPv4CidrRange => r !== undefined);
  for (let index = 1; index <= 254; index++) {
    if (skip.has(index)) continue;
    const pair = subnetPair(index);
    const wanted = [IPv4CidrRange.fromCidr(pair.management), IPv4CidrRange.fromCidr(pair.underlay)];
    if (wanted.every((w) => !ranges.some((r) => r.isOverlapping(w)))) return pair;
  }
  return undefined;
}

/** An IPv4 CIDR (host bits may be set, as in a route) as its range; undefined for anything else. */
export function cidrRange(cidr: string): IPv4CidrRange | undefined {
  const text = cidr.trim();
  return Validator.isValidIPv4CidrNotation(text)[0] ? IPv4CidrRange.fromCidr(text) : undefined;
}
