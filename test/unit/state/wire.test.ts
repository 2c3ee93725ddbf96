// etcd's JSON gateway and Consul's KV API as meshctl speaks them. The answers are as etcd 3.4.23
// (Debian 12) and Consul 1.8.7 (Debian 11) gave them.
import { describe, expect, it } from 'vitest';
import { consulKeyPath, consulVersioned } from '../../../src/state/consul.js';
import { etcdRangeBody, etcdTxnBody, etcdTxnSucceeded, etcdVersioned } from '../../../src/state/etcd.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '2', raft_term: '2' };

describe('etcd', () => {
  it('names the key in base64 and puts only while its mod_revision is the one read', () => {
    expect(etcdRangeBody('meshctl/lab/state')).toEqual({ key: 'bWVzaGN0bC9sYWIvc3RhdGU=' });
    expect(etcdTxnBody('x', '1', '0')).toEqual({
      compare: [{ key: 'eA==', target: 'MOD', result: 'EQUAL', mod_revision: '0' }],
      success: [{ request_put: { key: 'eA==', value: 'MQ==' } }],
    });
  });

  it('reads a key, and an absent key as version 0', () => {
    const found = { header, kvs: [{ key: 'eA==', create_revision: '2', mod_revision: '5', version: '3', value: b64('{"version": 1}') }], count: '1' };
    expect(etcdVersioned(found)).toEqual({ text: '{"version": 1}', version: '5' });
    expect(etcdVersioned({ header: { ...header, revision: '1' } })).toEqual({ text: undefined, version: '0' });
  });

  it('refuses an answer of another shape', () => {
    expect(etcdVersioned('text')).toBeUndefined();
    expect(etcdVersioned({ error: 'etcdserver: request timed out', code: 14 })).toBeUndefined();
    expect(etcdVersioned({ header, kvs: 'x' })).toBeUndefined();
    expect(etcdVersioned({ header, kvs: [{ key: 'eA==', value: 'MQ==' }] })).toBeUndefined();
  });

  it('tells a put that happened from a compare that failed (proto3 leaves a false succeeded out)', () => {
    expect(etcdTxnSucceeded({ header, succeeded: true, responses: [{ response_put: { header: { revision: '2' } } }] })).toBe(true);
    expect(etcdTxnSucceeded({ header })).toBe(false);
    expect(etcdTxnSucceeded({ error: 'etcdserver: no leader', code: 14 })).toBeUndefined();
  });
});

describe('consul', () => {
  it('puts each key name in the path, encoded', () => {
    expect(consulKeyPath('meshctl/lab/state')).toBe('/v1/kv/meshctl/lab/state');
    expect(consulKeyPath('meshctl/a b/state')).toBe('/v1/kv/meshctl/a%20b/state');
  });

  it('reads a key with its ModifyIndex, an absent key (404) as version 0, and refuses anything else', () => {
    const entry = [{ LockIndex: 0, Key: 'meshctl/lab/state', Flags: 0, Value: b64('{"version": 1}'), CreateIndex: 12, ModifyIndex: 15 }];
    expect(consulVersioned(200, JSON.stringify(entry))).toEqual({ text: '{"version": 1}', version: '15' });
    expect(consulVersioned(404, '')).toEqual({ text: undefined, version: '0' });
    expect(consulVersioned(403, 'Permission denied')).toBeUndefined();
    expect(consulVersioned(200, '[{"Key": "k"}]')).toBeUndefined();
    expect(consulVersioned(200, 'not json')).toBeUndefined();
  });
});
