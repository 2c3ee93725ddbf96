import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/load.js';
import { sliceAt, sliceCount } from '../../../src/network/ipv4.js';
import { meshMtuFor, pingPayloadFor } from '../../../src/network/mtu.js';
import { planMesh } from '../../../src/network/plan.js';

const inventory = (extra = ''): string => `hosts:
  - name: a
    address: 192.0.2.1
  - name: b
    address: 192.0.2.2
${extra}  - name: c
    address: 192.0.2.3
mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 18
`;

describe('planMesh', () => {
  it('splits the pool into non-overlapping slices in inventory order', () => {
    const plan = planMesh(parseInventory(inventory(), 'i.yaml'));
    expect([...plan.hosts.values()].map((h) => [h.name, h.slice, h.gatewayCidr])).toEqual([
      ['a', '172.17.0.0/18', '172.17.0.1/16'],
      ['b', '172.17.64.0/18', '172.17.64.1/16'],
      ['c', '172.17.128.0/18', '172.17.128.1/16'],
    ]);
    expect(plan.hosts.get('a')?.peers).toEqual([
      { name: 'b', underlayAddress: '192.0.2.2' },
      { name: 'c', underlayAddress: '192.0.2.3' },
    ]);
    expect(plan.mtu).toBe(1462);
  });

  it('is deterministic and honours mesh_index', () => {
    const text = inventory('    mesh_index: 3\n');
    expect(planMesh(parseInventory(text, 'i.yaml'))).toEqual(planMesh(parseInventory(text, 'i.yaml')));
    expect(planMesh(parseInventory(text, 'i.yaml')).hosts.get('b')?.slice).toBe('172.17.192.0/18');
  });
});

describe('address arithmetic', () => {
  it('counts and picks slices without listing them', () => {
    expect(sliceCount('10.0.0.0/8', 24)).toBe(65536n);
    expect(sliceAt('10.0.0.0/8', 24, 65535)).toBe('10.255.255.0/24');
    expect(sliceCount('10.0.0.0/16', 8)).toBe(0n);
  });

  it('derives the MTU from the tunnel overhead', () => {
    expect(meshMtuFor('ovs-gre', 1500)).toBe(1462);
    expect(meshMtuFor('ovs-gre', 9000)).toBe(8962);
    expect(pingPayloadFor(1462)).toBe(1434);
  });
});
