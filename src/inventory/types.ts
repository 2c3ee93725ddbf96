// The typed inventory: what the loader hands to the rest of meshctl after validation.
import type { Backend, CommonMesh } from '../backends/index.js';
import type { InputProblem } from '../errors.js';
import type { KvStore } from '../kv/endpoints.js';
import type { JsonObject } from '../modules/daemon-settings.js';
import type { PackageSource } from '../packages/source.js';
import type { ShippedPackages } from './shipped.js';
import type { OvsBuild } from '../build/source.js';

/** How a server's host key is judged against known_hosts (OpenSSH's StrictHostKeyChecking). */
export const HOST_KEY_POLICIES = ['accept-new', 'strict', 'off'] as const;
export type HostKeyPolicy = (typeof HOST_KEY_POLICIES)[number];

/** `selinux:`: whether meshctl may set an enforcing SELinux permissive where the backend needs it. */
export const SELINUX_SETTINGS = ['enforcing', 'permissive'] as const;
export type SelinuxSetting = (typeof SELINUX_SETTINGS)[number];

/** A jump host, resolved like a host's own settings (inventory, then ssh config, then defaults). */
export interface Bastion {
  address: string;
  port: number;
  user: string;
  /** Path of a private key; when absent, the SSH agent is used. */
  key?: string;
}

export interface SshSettings {
  user: string;
  port: number;
  /** Path of a private key; when absent, the SSH agent ($SSH_AUTH_SOCK) is used. */
  key?: string;
  /** known_hosts file checked and updated as OpenSSH's StrictHostKeyChecking=accept-new. */
  knownHosts: string;
  hostKeyChecking: HostKeyPolicy;
  /** Connect through this host (`ssh.bastion`, or ProxyJump in ssh config). */
  bastion?: Bastion;
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
  /** `become_password_prompt: true`: without becomePasswordEnv, the password is asked on the terminal. */
  becomePasswordPrompt?: true;
  groups: string[];
  /** Variables merged Ansible-style: inventory vars < group vars (in order) < host vars. */
  vars: Record<string, unknown>;
  /** Position of this host's slice in the pool; defaults to the host's order in the inventory. */
  meshIndex?: number;
  docker: DockerSettings;
}

/** Where a value was written in the inventory, for problems found after loading (a playbook's conflict with it). */
export type SourceLocation = Omit<InputProblem, 'message'>;

/** `docker:`, merged for one host (inventory < groups < host; `daemon` per key). */
export interface DockerSettings {
  /** Keys for /etc/docker/daemon.json, next to the backend's own. */
  daemon: JsonObject;
  /** TCP listeners without TLS allowed (and warned about on every run). */
  insecureTcp: boolean;
  /** Where each `daemon` key was written (its nearest layer). */
  daemonSources: Record<string, SourceLocation>;
}

/**
 * The validated `mesh:` section as written (snake_case, defaults filled, MTU resolved): the
 * fields all backends share are typed, the backend's own ones are there for its playbook.
 */
export type MeshSpec = CommonMesh & Record<string, unknown>;

/** Where the mesh's state record lives: `state:`, the file next to the inventory when absent. */
export type StateSettings = { store: 'file' } | RemoteStateSettings;

export interface RemoteStateSettings {
  store: 'etcd' | 'consul';
  /** Tried in order: `http://10.0.0.5:2379`, maybe with `user:password@`. */
  endpoints: string[];
  /** The mesh's keys live under it: `meshctl/lab` → `meshctl/lab/state`. */
  prefix: string;
}

export interface Inventory {
  /** Path the inventory was read from (for messages). */
  file: string;
  hosts: Host[];
  /** The names under `groups:` (hosts list the ones they are in). */
  groups: string[];
  mesh: MeshSpec;
  backend: Backend;
  /** The `kv:` section: the store's type, its nodes (the hosts of group `kv`, in order) and ports. */
  kv?: KvStore;
  /**
   * `package_sources:`, for every host alike (a host that needs another repository is another
   * inventory's), as the package_sources module takes them: each key file read and armored.
   */
  packageSources: PackageSource[];
  /** `ovs.source` / `docker.source: { packages: DIR }`: the files read from DIR; absent: the distribution's. */
  shipped: ShippedPackages;
  /**
   * `ovs.build` (source and format), present with `ovs.build:` or `ovs.source: build`; a local
   * tarball was checked to exist. `up` builds from it when `forUp`; loading never does.
   */
  ovsBuild?: OvsBuild;
  state: StateSettings;
  /** `selinux:`, enforcing when absent (SELinux never changed). */
  selinux: SelinuxSetting;
}
