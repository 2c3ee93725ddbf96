// Small IPv4 helpers over ip-num, so the rest of meshctl never parses addresses by hand.
import { IPv4, IPv4CidrRange, IPv4Prefix, Validator } from 'ip-num';

export function isIPv4(text: string): boolean {
  return Validator.isValidIPv4String(text)[0] && /^\d+\.\d+\.\d+\.\d+$/.test(text);
}

/** True for `a.b.c.d/n` where a.b.c.d is the network address of the range. */
export function isIPv4Network(text: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(text) && Validator.isValidIPv4CidrRange(text)[0];
}

export function prefixOf(cidr: string): number {
  return Number(IPv4CidrRange.fromCidr(cidr).getPrefix().getValue());
}

/** How many slices of `slicePrefix` fit into `pool`. */
export function sliceCount(pool: string, slicePrefix: number): bigint {
  const poolPrefix = prefixOf(pool);
  return slicePrefix < poolPrefix ? 0n : 1n << BigInt(slicePrefix - poolPrefix);
}

/** The index-th slice of `slicePrefix` in `pool`, without materialising every slice. */
export function sliceAt(pool: string, slicePrefix: number, index: number): string {
  const range = IPv4CidrRange.fromCidr(pool);
  const sliceSize = 1n << BigInt(32 - slicePrefix);
  const first = range.getFirst().getValue() + sliceSize * BigInt(index);
  return new IPv4CidrRange(new IPv4(first), new IPv4Prefix(BigInt(slicePrefix))).toCidrString();
}

/** First usable address of a range (network address + 1). */
export function firstHost(cidr: string): string {
  return IPv4CidrRange.fromCidr(cidr).getFirst().nextIPNumber().toString();
}

export function rangeContains(cidr: string, address: string): boolean {
  const range = IPv4CidrRange.fromCidr(cidr);
  const value = new IPv4(address).getValue();
  return range.getFirst().getValue() <= value && value <= range.getLast().getValue();
}

export function rangesOverlap(a: string, b: string): boolean {
  return IPv4CidrRange.fromCidr(a).isOverlapping(IPv4CidrRange.fromCidr(b));
}
