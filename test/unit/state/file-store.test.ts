import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { recordLastRuns, reserveSlices } from '../../../src/state/allocations.js';
import { fileStore, stateFile } from '../../../src/state/file-store.js';
import { recordedLastRuns, recordedSlices } from '../../../src/state/record.js';
import { openStateStore } from '../../../src/state/store.js';

const text = (hosts: string[], pool = '10.240.0.0/16'): string =>
  `hosts:\n${hosts.map((name, i) => `  - name: ${name}\n    address: 192.0.2.${11 + i}\n`).join('')}mesh:\n  backend: ovs-gre\n  pool: ${pool}\n  slice_prefix: 24\n`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-allocations-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const slicesOf = async (inventory: Inventory): Promise<Map<string, number> | undefined> => recordedSlices(await openStateStore(inventory).read(), inventory.mesh);
const lastRunsOf = async (inventory: Inventory): Promise<Map<string, unknown>> => recordedLastRuns(await openStateStore(inventory).read());

describe('the state file', () => {
  it('lives next to the inventory, and is the store when the inventory names none', () => {
    expect(stateFile('/etc/meshctl/lab.yaml')).toBe('/etc/meshctl/lab.state.json');
    expect(openStateStore(parseInventory(text(['a']), '/etc/meshctl/lab.yaml')).location).toEqual({ store: 'file', path: '/etc/meshctl/lab.state.json' });
  });

  it('keeps every host where it was across runs while hosts come and go', async () => {
    const file = path.join(dir, 'fleet.yaml');
    const first = parseInventory(text(['a', 'b', 'c']), file);
    expect(await slicesOf(first)).toBeUndefined();
    await reserveSlices(openStateStore(first), first);
    expect(JSON.parse(await readFile(stateFile(file), 'utf8')).hosts.c).toEqual({ slice_index: 2, slice: '10.240.2.0/24' });

    const withoutB = parseInventory(text(['a', 'c']), file);
    const second = await reserveSlices(openStateStore(withoutB), withoutB);
    expect(second.hosts.get('c')?.slice).toBe('10.240.2.0/24');

    const withD = parseInventory(text(['d', 'a', 'c']), file);
    const third = await reserveSlices(openStateStore(withD), withD);
    expect([...third.hosts.values()].map((h) => [h.name, h.slice])).toEqual([
      ['d', '10.240.1.0/24'],
      ['a', '10.240.0.0/24'],
      ['c', '10.240.2.0/24'],
    ]);
    expect(await slicesOf(withD)).toEqual(new Map([['d', 1], ['a', 0], ['c', 2]]));
  });

  it('does not apply to another pool, and refuses a file it did not write', async () => {
    const file = path.join(dir, 'other.yaml');
    const inventory = parseInventory(text(['a', 'b']), file);
    await reserveSlices(openStateStore(inventory), inventory);
    expect(await slicesOf(parseInventory(text(['a', 'b'], '10.241.0.0/16'), file))).toBeUndefined();
    await writeFile(stateFile(file), '{"hosts": 3}');
    await expect(slicesOf(inventory)).rejects.toThrow(UsageError);
    await expect(slicesOf(inventory)).rejects.toThrow(/other\.state\.json is not an allocation record/);
  });

  it("keeps each host's last run beside the slices, neither write losing the other's part", async () => {
    const file = path.join(dir, 'runs.yaml');
    const inventory = parseInventory(text(['a', 'b']), file);
    const store = fileStore(stateFile(file));
    const upA = { action: 'up' as const, at: '2026-12-01T11:00:00.000Z', outcome: 'ok' as const };
    const downB = { action: 'down' as const, at: '2026-12-01T12:00:00.000Z', outcome: 'failed' as const, task: 'links' };
    await reserveSlices(store, inventory);
    await recordLastRuns(store, inventory, new Map([['a', upA], ['b', upA]]));
    await recordLastRuns(store, inventory, new Map([['b', downB]]));
    await reserveSlices(store, inventory);
    expect(Object.fromEntries(await lastRunsOf(inventory))).toEqual({ a: upA, b: downB });
    expect(await slicesOf(inventory)).toEqual(new Map([['a', 0], ['b', 1]]));
  });

  it('records a run before any slice was, and reads files written before last runs were kept', async () => {
    const file = path.join(dir, 'fresh.yaml');
    const inventory = parseInventory(text(['a']), file);
    const run = { action: 'down' as const, at: '2026-12-01T12:00:00.000Z', outcome: 'unreachable' as const };
    await recordLastRuns(openStateStore(inventory), inventory, new Map([['a', run]]));
    expect(Object.fromEntries(await lastRunsOf(inventory))).toEqual({ a: run });
    expect(await slicesOf(inventory)).toEqual(new Map());

    await writeFile(stateFile(file), JSON.stringify({ version: 1, pool: '10.240.0.0/16', slice_prefix: 24, hosts: { a: { slice_index: 4, slice: '10.240.4.0/24' } } }));
    expect(await slicesOf(inventory)).toEqual(new Map([['a', 4]]));
    expect(await lastRunsOf(inventory)).toEqual(new Map());
  });
});
