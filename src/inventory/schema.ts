// The inventory file's shape as written in YAML (snake_case), checked by zod before anything else.
// The `mesh:` section's shape belongs to the backends (src/backends/).
import { z } from 'zod';
import { backends, type MeshSchema } from '../backends/index.js';
import { KV_TYPES } from '../kv/endpoints.js';
import { dockerSchema } from './docker.js';
import { ovsSourceSchema, shippedSourceSchema } from './shipped.js';
import { ovsBuildSchema } from '../build/source.js';
import { inventorySourceSchema } from '../packages/source.js';
import { HOST_KEY_POLICIES, SELINUX_SETTINGS } from './types.js';

const port = z.number().int().min(1).max(65535);
const seconds = z.number().positive().max(86_400);
const vars = z.record(z.string(), z.unknown()).describe('free variables for playbooks: inventory < group < host');

/** The jump host SSH connects through (as ProxyJump does); unset fields come from ssh config, then the host's own settings. */
const bastionSchema = z.strictObject({
  address: z.string().min(1).describe('the jump host: an address or a name (looked up in ssh config)'),
  user: z.string().min(1).optional().describe("user on the jump host (default: ssh config's, else the host's)"),
  port: port.optional().describe("SSH port of the jump host (default: ssh config's, else 22)"),
  key: z.string().min(1).optional().describe("private key for the jump host (default: ssh config's IdentityFile, else the host's key or the agent)"),
}).describe('connect through this jump host (ProxyJump); overrides a ProxyJump from ssh config');

/** Connection settings: allowed at the top level, in a group and on a host; the nearest wins. */
export const sshSchema = z.strictObject({
  user: z.string().min(1).optional().describe('SSH user (default root)'),
  port: port.optional().describe('SSH port (default 22)'),
  key: z.string().min(1).optional().describe('private key file, relative to the inventory or ~/; default: the SSH agent'),
  known_hosts: z.string().min(1).optional().describe('known_hosts file, checked like OpenSSH accept-new (default ~/.ssh/known_hosts)'),
  connect_timeout: seconds.optional().describe('seconds to wait for a connection (default 10)'),
  command_timeout: seconds.optional().describe('seconds a remote command may run (default 900)'),
  host_key_checking: z
    .enum(HOST_KEY_POLICIES)
    .optional()
    .describe('accept-new (default: record a new host key, refuse a changed one), strict (only keys already in known_hosts) or off (no check; a loud warning)'),
  config: z
    .union([z.string().min(1), z.literal(false)])
    .optional()
    .describe('OpenSSH client config read for HostName, User, Port, IdentityFile and ProxyJump (default ~/.ssh/config; false: none)'),
  bastion: bastionSchema.optional(),
}).describe('connection settings: at the top level, in a group or on a host; the nearest wins');

const becomeFields = {
  become: z.boolean().optional().describe('run commands as root through sudo'),
  become_password_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
    .optional()
    .describe('the NAME of the environment variable holding the sudo password'),
  become_password_prompt: z
    .boolean()
    .optional()
    .describe('ask for the sudo password once, with echo off, when the run is on a terminal and no become_password_env is set (default false)'),
};

export const groupSchema = z.strictObject({
  ssh: sshSchema.optional(),
  vars: vars.optional(),
  docker: dockerSchema.optional(),
  ...becomeFields,
});

export const hostSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a host name: letters, digits, . _ -').describe('unique name of the host'),
  address: z.string().min(1).describe('where SSH connects: an IPv4 address or a DNS name, unique'),
  underlay_address: z.string().min(1).optional().describe('IPv4 address the tunnels end at (default: address)'),
  groups: z.array(z.string().min(1)).optional().describe('groups (under groups:) whose settings the host takes, in order'),
  ssh: sshSchema.optional(),
  vars: vars.optional(),
  docker: dockerSchema.optional(),
  mesh_index: z.number().int().min(0).optional().describe("this host's slice of the pool (default: its position in hosts)"),
  ...becomeFields,
});

/** `mesh:`: one of the backends' sections, chosen by its `backend` field. */
export const meshSchema = z.discriminatedUnion(
  'backend',
  backends.map((backend) => backend.meshSchema) as [MeshSchema, ...MeshSchema[]],
);

/** `kv:`: the key-value store meshctl runs on the hosts of group `kv`. */
export const kvSchema = z.strictObject({
  type: z.enum(KV_TYPES).describe('the store: consul, etcd or zookeeper'),
  ports: z
    .strictObject({
      client: port.optional().describe("the port clients use (Consul's HTTP API 8500, etcd 2379, ZooKeeper 2181)"),
      peer: port.optional().describe('etcd: peer port (2380)'),
      server: port.optional().describe('consul: server RPC port (8300)'),
      serf_lan: port.optional().describe('consul: Serf LAN port (8301)'),
      quorum: port.optional().describe('zookeeper: quorum port (2888)'),
      election: port.optional().describe('zookeeper: leader election port (3888)'),
    })
    .optional()
    .describe("the store's ports; those of other types are refused"),
}).describe('a key-value store on the hosts of group kv (1, 3 or 5 of them)');

/** Where the state record lives; etcd and Consul are spoken to over HTTP from this machine. */
export const STATE_STORES = ['file', 'etcd', 'consul'] as const;

// A key path both stores take as it is, and that no URL normalisation can move (no `.`, `..`).
const STATE_PREFIX = /^(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+)*$/;

// An http(s) base URL: a path may follow (a proxy's), no query or fragment.
const STORE_URL = /^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/;

export const stateSchema = z.strictObject({
  store: z.enum(STATE_STORES).describe('file (the default: inventory.state.json next to the inventory), etcd (v3 API) or consul (KV)'),
  endpoints: z
    .array(
      z
        .string()
        .regex(STORE_URL, { message: 'must be an http:// or https:// URL such as http://10.0.0.5:2379', abort: true })
        .refine((text) => URL.canParse(text), 'is not a valid URL: check the host and port'),
    )
    .min(1)
    .optional()
    .describe("etcd or consul: the store's client URLs, tried in order (user:password@ in a URL is sent as basic auth and never shown)"),
  prefix: z
    .string()
    .regex(STATE_PREFIX, 'must be key names of letters, digits, . _ - joined by /, such as meshctl/lab')
    .optional()
    .describe("etcd or consul: this mesh's keys live under it (the record at PREFIX/state); one per mesh"),
}).describe("where the allocation record lives: a file next to the inventory (default), or etcd or Consul shared by a team's runs");

export const inventorySchema = z.strictObject({
  vars: vars.optional(),
  ssh: sshSchema.optional(),
  docker: dockerSchema
    .extend({ source: shippedSourceSchema.optional().describe("where Docker comes from, for every host: distro (default) or { packages: DIR }") })
    .optional(),
  ovs: z
    .strictObject({
      source: ovsSourceSchema.optional().describe('where Open vSwitch comes from, for every host: distro (default), build or { packages: DIR }'),
      build: ovsBuildSchema.optional(),
    })
    .optional()
    .describe('Open vSwitch, for the backends that use it'),
  ...becomeFields,
  groups: z.record(z.string(), groupSchema).optional().describe('named settings that hosts take by listing the group'),
  hosts: z.array(hostSchema).min(1, 'at least one host is needed'),
  mesh: meshSchema.describe('the mesh to build; its fields depend on backend'),
  kv: kvSchema.optional(),
  package_sources: z
    .array(inventorySourceSchema)
    .optional()
    .describe('package repositories (apt, yum) for every host, written by the package_sources module'),
  state: stateSchema.optional(),
  selinux: z
    .enum(SELINUX_SETTINGS)
    .optional()
    .describe(
      'SELinux on RHEL-family hosts, for the backends that use Open vSwitch: enforcing (the default: never changed, and up fails on a host where it enforces) or permissive (up sets an enforcing host permissive, down puts it back, the recap notes it on every run)',
    ),
});

export type RawInventory = z.infer<typeof inventorySchema>;
export type RawHost = z.infer<typeof hostSchema>;
export type RawGroup = z.infer<typeof groupSchema>;
export type RawSsh = z.infer<typeof sshSchema>;
export type RawBastion = z.infer<typeof bastionSchema>;
export type RawKv = z.infer<typeof kvSchema>;
export type RawState = z.infer<typeof stateSchema>;
