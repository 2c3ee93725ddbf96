// pickSubnetPair: the first free 10.210.K/24 + 10.211.K/24 pair.
import { describe, expect, it } from 'vitest';
import { cidrRange, hostAddress, pickSubnetPair } from '../../../src/sandbox/subnets.js';

describe('pickSubnetPair', () => {
  it('takes K = 1 when nothing is taken', () => {
    expect(pickSubnetPair([])).toEqual({ index: 1, management: '10.210.1.0/24', underlay: '10.211.1.0/24' });
  });

  it('skips a K taken on either side', () => {
    expect(pickSubnetPair(['10.210.1.0/24', '10.211.2.0/24'])?.index).toBe(3);
  });

  it('sees overlaps with larger and smaller networks', () => {
    expect(pickSubnetPair(['10.210.0.0/23'])?.index).toBe(2);
    expect(pickSubnetPair(['10.211.1.128/25', '10.210.2.7/32'])?.index).toBe(3);
    expect(pickSubnetPair(['10.208.0.0/14'])).toBeUndefined();
  });

  it('ignores networks elsewhere and text that is not a CIDR', () => {
    expect(pickSubnetPair(['172.17.0.0/16', '10.231.0.0/24', '10.240.0.0/12', 'fd00::/64', 'garbage'])?.index).toBe(1);
  });

  it('honours the skip set (pairs lost to a concurrent sandbox)', () => {
    expect(pickSubnetPair([], new Set([1, 2]))?.index).toBe(3);
  });

  it('returns undefined when every K is taken', () => {
    expect(pickSubnetPair(['10.210.0.0/16'])).toBeUndefined();
  });
});

describe('cidrRange', () => {
  it('reads a CIDR with host bits set as the whole network', () => {
    expect(cidrRange('10.0.0.5/24')?.getFirst().toString()).toBe('10.0.0.0');
    expect(cidrRange(' 10.0.0.5/24 ')?.getLast().toString()).toBe('10.0.0.255');
  });

  it('refuses out-of-range octets and prefixes, and IPv6', () => {
    expect(cidrRange('10.0.0.256/24')).toBeUndefined();
    expect(cidrRange('10.0.0.0/33')).toBeUndefined();
    expect(cidrRange('fd00::/64')).toBeUndefined();
    expect(cidrRange('1.2.3/24')).toBeUndefined();
  });
});

describe('hostAddress', () => {
  it('numbers hosts from .11', () => {
    expect(hostAddress('10.210.7.0/24', 1)).toBe('10.210.7.11');
    expect(hostAddress('10.211.7.0/24', 3)).toBe('10.211.7.13');
  });
});
