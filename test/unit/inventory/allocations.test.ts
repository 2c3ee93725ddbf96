import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { allocationsFile, readAllocations, writeAllocations } from '../../../src/inventory/allocations.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';

const text = (hosts: string[], pool = '10.240.0.0/16'): string =>
  `hosts:\n${hosts.map((name, i) => `  - name: ${name}\n    address: 192.0.2.${11 + i}\n`).join('')}mesh:\n  backend: ovs-gre\n  pool: ${pool}\n  slice_prefix: 24\n`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-allocations-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the allocation record', () => {
  it('lives next to the inventory', () => {
    expect(allocationsFile('/etc/meshctl/lab.yaml')).toBe('/etc/meshctl/lab.state.json');
  });

  it('keeps every host where it was across runs while hosts come and go', async () => {
    const file = path.join(dir, 'fleet.yaml');
    const first = parseInventory(text(['a', 'b', 'c']), file);
    expect(await readAllocations(first)).toBeUndefined();
    await writeAllocations(first, planInventory(first));
    expect(JSON.parse(await readFile(allocationsFile(file), 'utf8')).hosts.c).toEqual({ slice_index: 2, slice: '10.240.2.0/24' });

    const withoutB = parseInventory(text(['a', 'c']), file);
    const second = planInventory(withoutB, await readAllocations(withoutB));
    expect(second.hosts.get('c')?.slice).toBe('10.240.2.0/24');
    await writeAllocations(withoutB, second);

    const withD = parseInventory(text(['d', 'a', 'c']), file);
    const third = planInventory(withD, await readAllocations(withD));
    expect([...third.hosts.values()].map((h) => [h.name, h.slice])).toEqual([
      ['d', '10.240.1.0/24'],
      ['a', '10.240.0.0/24'],
      ['c', '10.240.2.0/24'],
    ]);
  });

  it('does not apply to another pool, and refuses a file it did not write', async () => {
    const file = path.join(dir, 'other.yaml');
    const inventory = parseInventory(text(['a', 'b']), file);
    await writeAllocations(inventory, planInventory(inventory));
    expect(await readAllocations(parseInventory(text(['a', 'b'], '10.241.0.0/16'), file))).toBeUndefined();
    await writeFile(allocationsFile(file), '{"hosts": 3}');
    await expect(readAllocations(inventory)).rejects.toThrow(UsageError);
    await expect(readAllocations(inventory)).rejects.toThrow(/other\.state\.json is not an allocation record/);
  });
});
