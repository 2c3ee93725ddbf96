import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileStore } from '../../../src/state/file-store.js';
import { withLastRuns, type StateRecord } from '../../../src/state/record.js';
import { seededFrom } from '../../../src/state/seed.js';
import type { StateStore } from '../../../src/state/store.js';

const mesh = { pool: '10.240.0.0/16', slice_prefix: 24 };
const fromFile: StateRecord = { version: 1, ...mesh, hosts: { node1: { slice_index: 3, slice: '10.240.3.0/24' } } };

/** A store holding one record in memory, as etcd or Consul would. */
function memoryStore(record?: StateRecord): StateStore & { record: StateRecord | undefined } {
  const store = {
    record,
    location: { store: 'etcd' as const, endpoints: ['http://10.0.0.5:2379'], key: 'meshctl/lab/state' },
    read: async () => store.record,
    update: async (change: (r: StateRecord | undefined) => StateRecord) => (store.record = change(store.record)),
  };
  return store;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-seed-'));
  await writeFile(path.join(dir, 'lab.state.json'), JSON.stringify(fromFile));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('a shared store new to a mesh', () => {
  it('starts from the state file an earlier up left, and says so once it wrote', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const remote = memoryStore();
    const store = seededFrom(remote, fileStore(path.join(dir, 'lab.state.json')));
    expect(await store.read()).toEqual(fromFile);
    const run = { action: 'up' as const, at: '2026-12-01T11:00:00.000Z', outcome: 'ok' as const };
    await store.update((record) => withLastRuns(record, mesh, new Map([['node1', run]])));
    expect(remote.record).toEqual({ ...fromFile, last_runs: { node1: run } });
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/started it from file .*lab\.state\.json, which is no longer used/);
  });

  it('no longer reads the file once it holds a record of its own', async () => {
    const own: StateRecord = { version: 1, ...mesh, hosts: {} };
    const store = seededFrom(memoryStore(own), fileStore(path.join(dir, 'lab.state.json')));
    expect(await store.read()).toEqual(own);
    expect(await store.update((record) => record ?? fromFile)).toEqual(own);
  });
});
