// The compare-and-swap loop over a key that behaves as etcd's and Consul's do: a write names the
// version it read, and is refused once another write moved the key on.
import { describe, expect, it } from 'vitest';
import { StateStoreError } from '../../../src/errors.js';
import { planMesh } from '../../../src/network/plan.js';
import { recordLastRuns, reserveSlices } from '../../../src/state/allocations.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { decodeRecord, withSlices } from '../../../src/state/record.js';
import { afterWrite, versionedStore, type Versioned, type VersionedKey } from '../../../src/state/versioned.js';
import type { Inventory } from '../../../src/inventory/types.js';

const location = { store: 'etcd' as const, endpoints: ['http://10.0.0.5:2379'], key: 'meshctl/lab/state' };
const mesh = { pool: '10.240.0.0/16', slice_prefix: 24 };
const inventory = { mesh } as unknown as Inventory;
const run = (action: 'up' | 'down') => ({ action, at: '2026-12-01T11:00:00.000Z', outcome: 'ok' as const });

/** One key, its version bumped by every write; `beforeWrite` runs between a read and the write that follows it. */
class MemoryKey implements VersionedKey {
  location = location;
  text: string | undefined;
  version = 0;
  writes = 0;
  refused = 0;
  beforeWrite: (() => Promise<void>) | undefined;

  async get(): Promise<Versioned> {
    return { text: this.text, version: String(this.version) };
  }

  async putIfVersion(text: string, version: string): Promise<boolean> {
    await this.beforeWrite?.();
    if (version !== String(this.version)) {
      this.refused++;
      return false;
    }
    this.text = text;
    this.version++;
    this.writes++;
    return true;
  }
}

const noPause = { pause: async () => undefined };

describe('afterWrite', () => {
  it('is done once written, retries a refused write while attempts are left, then gives up', () => {
    expect([afterWrite(true, 1, 3), afterWrite(false, 1, 3), afterWrite(false, 2, 3), afterWrite(false, 3, 3), afterWrite(true, 3, 3)]).toEqual(['done', 'retry', 'retry', 'give-up', 'done']);
  });
});

describe('a versioned store', () => {
  it('creates the key when it does not exist yet, and reads back what it wrote', async () => {
    const key = new MemoryKey();
    const store = versionedStore(key, noPause);
    expect(await store.read()).toBeUndefined();
    const record = withSlices(undefined, mesh, planMesh({ pool: mesh.pool, slicePrefix: 24, mtu: 1400, hosts: [{ name: 'a', underlayAddress: '192.0.2.1' }] }));
    expect(await store.update(() => record)).toEqual(record);
    expect(await store.read()).toEqual(record);
    expect(key.writes).toBe(1);
  });

  it("loses neither run's last runs when another run writes between its read and its write", async () => {
    const key = new MemoryKey();
    const mine = versionedStore(key, noPause);
    const theirs = versionedStore(key, noPause);
    let interfered = false;
    key.beforeWrite = async () => {
      if (interfered) return;
      interfered = true;
      key.beforeWrite = undefined;
      await recordLastRuns(theirs, inventory, new Map([['b', run('down')]]));
    };
    await recordLastRuns(mine, inventory, new Map([['a', run('up')]]));
    expect(key.refused).toBe(1);
    expect(decodeRecord(key.text ?? '', 'k').last_runs).toEqual({ a: run('up'), b: run('down') });
  });

  it('plans again from the record another run wrote first, so both runs give the hosts the same slices', async () => {
    const inventoryText = (names: string[]): string =>
      `hosts:\n${names.map((name) => `  - { name: ${name}, address: 192.0.2.${name.charCodeAt(0)} }\n`).join('')}mesh: { backend: ovs-gre, pool: 10.240.0.0/16, slice_prefix: 24 }\n`;
    const key = new MemoryKey();
    const ours = parseInventory(inventoryText(['a', 'b', 'c']), '/srv/ours.yaml');
    const theirs = parseInventory(inventoryText(['c', 'a', 'b']), '/srv/theirs.yaml');
    key.beforeWrite = async () => {
      key.beforeWrite = undefined;
      await reserveSlices(versionedStore(key, noPause), theirs);
    };
    const plan = await reserveSlices(versionedStore(key, noPause), ours);
    const slices = Object.fromEntries([...plan.hosts.values()].map((host) => [host.name, host.slice]));
    expect(slices).toEqual({ c: '10.240.0.0/24', a: '10.240.1.0/24', b: '10.240.2.0/24' });
    expect(decodeRecord(key.text ?? '', 'k').hosts.c?.slice).toBe('10.240.0.0/24');
    expect(key.refused).toBe(1);
  });

  it('gives up after its attempts when every write is refused, with the store named', async () => {
    const key = new MemoryKey();
    key.beforeWrite = async () => {
      key.version++;
    };
    const store = versionedStore(key, { ...noPause, attempts: 3 });
    const error = await store.update((record) => withSlices(record, mesh, planMesh({ pool: mesh.pool, slicePrefix: 24, mtu: 1400, hosts: [] }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as StateStoreError).exitCode).toBe(5);
    expect((error as Error).message).toBe('etcd http://10.0.0.5:2379 key meshctl/lab/state: the record changed under each of 3 attempts to write it (other runs writing at the same time): try again');
    expect(key.refused).toBe(3);
  });

  it('refuses a key that holds something else, and writes nothing', async () => {
    const key = new MemoryKey();
    key.text = 'hello';
    key.version = 7;
    await expect(versionedStore(key, noPause).update((record) => record ?? { version: 1, pool: 'p', slice_prefix: 24, hosts: {} })).rejects.toThrow(/key meshctl\/lab\/state is not an allocation record meshctl wrote/);
    expect(key.writes).toBe(0);
  });
});
