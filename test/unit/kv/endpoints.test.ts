import { describe, expect, it } from 'vitest';
import { clientEndpoints, clusterStoreUrl, KV_DEFAULT_PORTS, kvVars, type KvStore, type KvType } from '../../../src/kv/endpoints.js';

const nodes = [
  { name: 'kv1', address: '10.211.0.11' },
  { name: 'kv2', address: '10.211.0.12' },
  { name: 'kv3', address: '10.211.0.13' },
];

function store(type: KvType, count: number, ports: Partial<Record<string, number>> = {}): KvStore {
  return { type, nodes: nodes.slice(0, count), ports: { ...KV_DEFAULT_PORTS[type], ...ports } as KvStore['ports'] };
}

describe('clusterStoreUrl', () => {
  it.each([
    ['etcd', 3, 'etcd://10.211.0.11:2379,10.211.0.12:2379,10.211.0.13:2379'],
    ['zookeeper', 3, 'zk://10.211.0.11:2181,10.211.0.12:2181,10.211.0.13:2181'],
    ['consul', 1, 'consul://10.211.0.11:8500'],
    // Docker's Consul store takes one address only.
    ['consul', 3, 'consul://10.211.0.11:8500'],
  ] as const)('%s on %i node(s)', (type, count, url) => {
    expect(clusterStoreUrl(store(type, count))).toBe(url);
  });

  it('uses the client port the inventory sets', () => {
    expect(clusterStoreUrl(store('etcd', 1, { client: 12379 }))).toBe('etcd://10.211.0.11:12379');
  });
});

describe('clientEndpoints', () => {
  it('lists every node, as URLs for etcd and Consul and as a connect string for ZooKeeper', () => {
    expect(clientEndpoints(store('etcd', 3))).toBe('http://10.211.0.11:2379,http://10.211.0.12:2379,http://10.211.0.13:2379');
    expect(clientEndpoints(store('consul', 3, { client: 18500 }))).toBe('http://10.211.0.11:18500,http://10.211.0.12:18500,http://10.211.0.13:18500');
    expect(clientEndpoints(store('zookeeper', 1))).toBe('10.211.0.11:2181');
  });
});

describe('kvVars', () => {
  it('says whether the host is one of the nodes', () => {
    const etcd = store('etcd', 1);
    expect(kvVars(etcd, 'kv1').member).toBe(true);
    expect(kvVars(etcd, 'kv2').member).toBe(false);
  });

  it('gives copies: a template cannot change the store another host sees', () => {
    const etcd = store('etcd', 3);
    const vars = kvVars(etcd, 'kv1');
    vars.nodes.pop();
    vars.ports.client = 1;
    expect(etcd.nodes).toHaveLength(3);
    expect(etcd.ports.client).toBe(2379);
  });
});
