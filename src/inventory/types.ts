// The typed inventory: what the loader hands to the rest of meshctl after validation.

export interface SshSettings {
  user: string;
  port: number;
  /** Path of a private key; when absent, the SSH agent ($SSH_AUTH_SOCK) is used. */
  key?: string;
  /** known_hosts file checked and updated as OpenSSH's StrictHostKeyChecking=accept-new. */
  knownHosts: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

export interface Host {
  name: string;
  /** Where SSH connects (management address or DNS name). */
  address: string;
  /** Address tunnels are built to; defaults to `address`. */
  underlayAddress: string;
  ssh: SshSettings;
  /** Run commands as root through sudo. */
  become: boolean;
  /** Name of the environment variable holding the sudo password (never the password itself). */
  becomePasswordEnv?: string;
  groups: string[];
  /** Variables merged Ansible-style: inventory vars < group vars (in order) < host vars. */
  vars: Record<string, unknown>;
  /** Position of this host's slice in the pool; defaults to the host's order in the inventory. */
  meshIndex?: number;
}

export type MeshBackend = 'ovs-gre';
export type SpanningTree = 'rstp' | 'stp' | 'off';
export type OvsDatapath = 'system' | 'netdev';

export interface MeshSpec {
  backend: MeshBackend;
  /** The address pool all containers of the mesh share, e.g. 172.17.0.0/16. */
  pool: string;
  /** Prefix length of each host's slice of the pool, e.g. 18. */
  slicePrefix: number;
  underlay: { interface: string; mtu: number };
  /** MTU inside the mesh: underlay MTU - 38 unless set. */
  mtu: number;
  spanningTree: SpanningTree;
  ovs: { bridge: string; datapath: OvsDatapath };
  docker: { bridge: string };
}

export interface Inventory {
  /** Path the inventory was read from (for messages). */
  file: string;
  hosts: Host[];
  mesh: MeshSpec;
}
