// Where the key-value store's clients find it: Docker's cluster-store URL and the client endpoint
// list, from the store's type, its nodes (the hosts of group `kv`, in inventory order) and ports.
// Pure, so that what every host is pointed at is decided once, from the inventory alone.

export const KV_TYPES = ['consul', 'etcd', 'zookeeper'] as const;
export type KvType = (typeof KV_TYPES)[number];

/** Each type's ports; `client` is the one clients use (Consul's HTTP API, etcd's and ZooKeeper's client port). */
export const KV_DEFAULT_PORTS = {
  consul: { client: 8500, server: 8300, serf_lan: 8301 },
  etcd: { client: 2379, peer: 2380 },
  zookeeper: { client: 2181, quorum: 2888, election: 3888 },
} as const satisfies Record<KvType, { client: number } & Record<string, number>>;

export type KvPorts = { client: number } & Record<string, number>;

export interface KvNode {
  name: string;
  /** The node's underlay address: where the store listens. */
  address: string;
}

export interface KvStore {
  type: KvType;
  nodes: KvNode[];
  ports: KvPorts;
}

/** Debian's packages of each store (Consul's is in Debian 11 only: see docs/kv.md). */
export const KV_PACKAGES: Record<KvType, readonly string[]> = {
  consul: ['consul'],
  etcd: ['etcd-server', 'etcd-client'],
  zookeeper: ['zookeeperd'],
};

/** What playbooks see as `kv` on one host. */
export interface KvVars {
  type: KvType;
  /** What to install on its nodes. */
  packages: string[];
  nodes: KvNode[];
  ports: KvPorts;
  cluster_store: string;
  client_endpoints: string;
  /** This host is one of the store's nodes. */
  member: boolean;
}

const CLUSTER_STORE_SCHEME: Record<KvType, string> = { consul: 'consul', etcd: 'etcd', zookeeper: 'zk' };

/** Docker's `cluster-store`: `etcd://a:2379,b:2379`, `zk://a:2181,b:2181`, `consul://a:8500`. */
export function clusterStoreUrl(store: KvStore): string {
  const scheme = CLUSTER_STORE_SCHEME[store.type];
  // Docker's Consul store (libkv) refuses more than one address ("consul does not support
  // multiple endpoints"); any server answers for the cluster, so the first node does.
  const nodes = store.type === 'consul' ? store.nodes.slice(0, 1) : store.nodes;
  return `${scheme}://${nodes.map((node) => hostPort(node.address, store.ports.client)).join(',')}`;
}

/** For other clients: etcd and Consul as `http://a:PORT,http://b:PORT`, ZooKeeper's connect string `a:2181,b:2181`. */
export function clientEndpoints(store: KvStore): string {
  const prefix = store.type === 'zookeeper' ? '' : 'http://';
  return store.nodes.map((node) => `${prefix}${hostPort(node.address, store.ports.client)}`).join(',');
}

export function kvVars(store: KvStore, hostName: string): KvVars {
  return {
    type: store.type,
    packages: [...KV_PACKAGES[store.type]],
    nodes: store.nodes.map((node) => ({ ...node })),
    ports: { ...store.ports },
    cluster_store: clusterStoreUrl(store),
    client_endpoints: clientEndpoints(store),
    member: store.nodes.some((node) => node.name === hostName),
  };
}

function hostPort(address: string, port: number): string {
  return `${address}:${port}`;
}
