import { describe, expect, it } from 'vitest';
import { allocateSlices } from '../../../src/network/allocate.js';
import { sliceAt, sliceCount } from '../../../src/network/ipv4.js';
import { pingPayloadFor } from '../../../src/network/mtu.js';
import { planMesh } from '../../../src/network/plan.js';

const hosts = [
  { name: 'a', underlayAddress: '192.0.2.1' },
  { name: 'b', underlayAddress: '192.0.2.2' },
  { name: 'c', underlayAddress: '192.0.2.3' },
];

describe('planMesh', () => {
  it('gives each host its slice, its gateway on the pool and on the slice, and every other host as a peer', () => {
    const plan = planMesh({ pool: '172.17.0.0/16', slicePrefix: 18, mtu: 1462, hosts });
    expect([...plan.hosts.values()].map((h) => [h.name, h.slice, h.gatewayCidr, h.sliceGatewayCidr])).toEqual([
      ['a', '172.17.0.0/18', '172.17.0.1/16', '172.17.0.1/18'],
      ['b', '172.17.64.0/18', '172.17.64.1/16', '172.17.64.1/18'],
      ['c', '172.17.128.0/18', '172.17.128.1/16', '172.17.128.1/18'],
    ]);
    expect(plan.hosts.get('a')?.peers).toEqual([
      { name: 'b', underlayAddress: '192.0.2.2' },
      { name: 'c', underlayAddress: '192.0.2.3' },
    ]);
    expect(plan.mtu).toBe(1462);
  });

  it('places a host with mesh_index at that slice, whatever its position', () => {
    const plan = planMesh({ pool: '172.17.0.0/16', slicePrefix: 18, mtu: 1462, hosts: [hosts[0]!, { ...hosts[1]!, meshIndex: 3 }, hosts[2]!] });
    expect(plan.hosts.get('b')?.slice).toBe('172.17.192.0/18');
    expect(plan.hosts.get('c')?.slice).toBe('172.17.128.0/18');
  });
});

describe('allocateSlices', () => {
  it('uses mesh_index where given and the position elsewhere', () => {
    expect([...allocateSlices([{ name: 'x' }, { name: 'y', meshIndex: 7 }, { name: 'z' }])]).toEqual([
      ['x', 0],
      ['y', 7],
      ['z', 2],
    ]);
  });
});

describe('address arithmetic', () => {
  it('counts and picks slices without listing them', () => {
    expect(sliceCount('10.0.0.0/8', 24)).toBe(65536n);
    expect(sliceAt('10.0.0.0/8', 24, 65535)).toBe('10.255.255.0/24');
    expect(sliceCount('10.0.0.0/16', 8)).toBe(0n);
  });

  it('fills one packet of the MTU with an ICMP echo', () => {
    expect(pingPayloadFor(1462)).toBe(1434);
  });
});

describe('allocateSlices with a record of an earlier run', () => {
  const recorded = new Map([['a', 0], ['b', 1], ['c', 2]]);

  it('keeps every recorded host where it was when a host in the middle goes', () => {
    expect([...allocateSlices([{ name: 'a' }, { name: 'c' }], { recorded })]).toEqual([['a', 0], ['c', 2]]);
  });

  it('gives a new host a free slice without moving anyone, also where its position is taken', () => {
    expect([...allocateSlices([{ name: 'a' }, { name: 'd' }, { name: 'c' }], { recorded })]).toEqual([['a', 0], ['d', 1], ['c', 2]]);
    const withoutB = new Map([['a', 0], ['c', 2]]);
    expect([...allocateSlices([{ name: 'd' }, { name: 'a' }, { name: 'c' }], { recorded: withoutB })]).toEqual([['d', 1], ['a', 0], ['c', 2]]);
  });

  it('lets an explicit mesh_index win over a record, the recorded host moving to a free slice', () => {
    expect([...allocateSlices([{ name: 'a' }, { name: 'b' }, { name: 'x', meshIndex: 1 }], { recorded })]).toEqual([['a', 0], ['b', 2], ['x', 1]]);
  });

  it('drops recorded slices past the pool', () => {
    expect([...allocateSlices([{ name: 'a' }, { name: 'c' }], { recorded, slices: 2n })]).toEqual([['a', 0], ['c', 1]]);
  });
});
