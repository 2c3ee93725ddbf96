import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { planMesh } from '../../../src/network/plan.js';
import { decodeRecord, encodeRecord, recordedLastRuns, recordedSlices, withLastRuns, withSlices, type StateRecord } from '../../../src/state/record.js';

const mesh = { pool: '10.240.0.0/16', slice_prefix: 24 };
const plan = (names: string[], recorded?: Map<string, number>) =>
  planMesh({ pool: mesh.pool, slicePrefix: mesh.slice_prefix, mtu: 1400, hosts: names.map((name, i) => ({ name, underlayAddress: `192.0.2.${i + 1}` })), recorded });
const upOk = { action: 'up' as const, at: '2026-12-01T11:00:00.000Z', outcome: 'ok' as const };

describe('the state record as a document', () => {
  it('reads back what it wrote, as readable JSON ending in a newline', () => {
    const record = withLastRuns(withSlices(undefined, mesh, plan(['a', 'b'])), mesh, new Map([['b', upOk]]));
    const text = encodeRecord(record);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "version": 1,');
    expect(decodeRecord(text, 'k')).toEqual(record);
    expect(recordedSlices(decodeRecord(text, 'k'), mesh)).toEqual(new Map([['a', 0], ['b', 1]]));
    expect(recordedLastRuns(decodeRecord(text, 'k'))).toEqual(new Map([['b', upOk]]));
  });

  it('refuses text meshctl did not write, naming where it was', () => {
    for (const text of ['', 'not json', '{"version": 2, "pool": "p", "slice_prefix": 24, "hosts": {}}', '{"version": 1, "pool": "p", "slice_prefix": 24, "hosts": {"a": {"slice_index": -1, "slice": "x"}}}']) {
      expect(() => decodeRecord(text, 'etcd http://10.0.0.5:2379 key meshctl/lab/state')).toThrow(UsageError);
    }
    expect(() => decodeRecord('[]', 'etcd http://10.0.0.5:2379 key meshctl/lab/state')).toThrow(/^etcd http:\/\/10\.0\.0\.5:2379 key meshctl\/lab\/state is not an allocation record/);
  });
});

describe('the changes up and down make to it', () => {
  it('replaces the slices with the plan, keeping every last run', () => {
    const before: StateRecord = { ...withSlices(undefined, mesh, plan(['a', 'b', 'c'])), last_runs: { c: upOk } };
    const after = withSlices(before, mesh, plan(['a', 'c'], recordedSlices(before, mesh)));
    expect(after.hosts).toEqual({ a: { slice_index: 0, slice: '10.240.0.0/24' }, c: { slice_index: 2, slice: '10.240.2.0/24' } });
    expect(after.last_runs).toEqual({ c: upOk });
  });

  it('keeps the last runs of hosts a run did not touch, and starts an empty record for a down before any up', () => {
    const downFailed = { action: 'down' as const, at: '2026-12-01T12:00:00.000Z', outcome: 'failed' as const, task: 'links' };
    const first = withLastRuns(undefined, mesh, new Map([['a', upOk], ['b', upOk]]));
    expect(first).toMatchObject({ version: 1, pool: mesh.pool, slice_prefix: 24, hosts: {} });
    expect(withLastRuns(first, mesh, new Map([['b', downFailed]])).last_runs).toEqual({ a: upOk, b: downFailed });
  });

  it('has no slices for another pool or slice size', () => {
    const record = withSlices(undefined, mesh, plan(['a']));
    expect(recordedSlices(record, { pool: '10.241.0.0/16', slice_prefix: 24 })).toBeUndefined();
    expect(recordedSlices(record, { pool: mesh.pool, slice_prefix: 25 })).toBeUndefined();
    expect(recordedSlices(undefined, mesh)).toBeUndefined();
  });
});
