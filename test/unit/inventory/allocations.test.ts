import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { allocationsFile, readAllocations, readLastRuns, writeAllocations, writeLastRuns } from '../../../src/inventory/allocations.js';
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

  it("keeps each host's last run beside the slices, neither write losing the other's part", async () => {
    const file = path.join(dir, 'runs.yaml');
    const inventory = parseInventory(text(['a', 'b']), file);
    const upA = { action: 'up' as const, at: '2026-12-01T11:00:00.000Z', outcome: 'ok' as const };
    const downB = { action: 'down' as const, at: '2026-12-01T12:00:00.000Z', outcome: 'failed' as const, task: 'links' };
    await writeAllocations(inventory, planInventory(inventory));
    await writeLastRuns(inventory, new Map([['a', upA], ['b', upA]]));
    await writeLastRuns(inventory, new Map([['b', downB]]));
    await writeAllocations(inventory, planInventory(inventory, await readAllocations(inventory)));
    expect(Object.fromEntries(await readLastRuns(inventory))).toEqual({ a: upA, b: downB });
    expect(await readAllocations(inventory)).toEqual(new Map([['a', 0], ['b', 1]]));
  });

  it('records a run before any slice was, and reads files written before last runs were kept', async () => {
    const file = path.join(dir, 'fresh.yaml');
    const inventory = parseInventory(text(['a']), file);
    const run = { action: 'down' as const, at: '2026-12-01T12:00:00.000Z', outcome: 'unreachable' as const };
    await writeLastRuns(inventory, new Map([['a', run]]));
    expect(Object.fromEntries(await readLastRuns(inventory))).toEqual({ a: run });
    expect(await readAllocations(inventory)).toEqual(new Map());

    await writeFile(allocationsFile(file), JSON.stringify({ version: 1, pool: '10.240.0.0/16', slice_prefix: 24, hosts: { a: { slice_index: 4, slice: '10.240.4.0/24' } } }));
    expect(await readAllocations(inventory)).toEqual(new Map([['a', 4]]));
    expect(await readLastRuns(inventory)).toEqual(new Map());
  });
});
