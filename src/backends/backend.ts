// What a mesh backend is: one record that the inventory loader, the address planner, the
// engine, the sandbox and the CLI all read, so adding a backend touches no code but its own.
import type { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import type { MeshPlan } from '../network/plan.js';

/** Any backend's `mesh:` schema: a strict object whose `backend` field is the backend's name. */
export type MeshSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

/** The validated `mesh:` section (snake_case, as written, defaults filled) with the MTU resolved. */
export type MeshOf<S extends MeshSchema> = Omit<z.output<S>, 'mtu'> & { mtu: number };

/** What every backend's section has (see mesh-fields.ts): what the engine and the planner rely on. */
export interface CommonMesh {
  backend: string;
  pool: string;
  slice_prefix: number;
  mtu: number;
  underlay: { interface: string; mtu: number };
  docker: { bridge: string };
}

/** The common fields as the schema leaves them: the MTU may still be unset. */
export type UnresolvedMesh = Omit<CommonMesh, 'mtu'> & { mtu?: number | undefined };

export interface CheckInput<Mesh> {
  /** The section as validated by the schema; `mtu` may still be unset here. */
  mesh: Omit<Mesh, 'mtu'> & { mtu?: number | undefined };
  hosts: readonly { name: string; address: string; underlay_address?: string | undefined }[];
  /** The inventory's `kv:` store, when it has one. */
  kv?: { type: string } | undefined;
}

/** What `meshctl sandbox up` knows when it writes an inventory for a backend. */
export interface SandboxInput {
  /** The underlay network's subnet on this machine, e.g. 172.31.1.0/24. */
  underlaySubnet: string;
  /** An address on the underlay that no host has: where the sandbox starts a router if asked. */
  routerAddress: string;
  /** The hosts' Debian release (`sandbox up --suite`), e.g. bookworm. */
  suite: string;
  /** The Debian mirror the hosts' apt sources name, e.g. http://deb.debian.org/debian. */
  mirror: string;
}

export interface SandboxDefaults {
  /** The `mesh:` section of the generated inventory. */
  mesh: Record<string, unknown>;
  /**
   * For backends whose containers use an outside gateway: the sandbox starts a router on the
   * underlay at `routerAddress`, set up from the final `mesh:` section (after `--set`).
   */
  router?(mesh: Record<string, unknown>): SandboxRouter;
  /**
   * This backend's sandbox wants a key-value store of this default type: the generated inventory
   * gets a `kv:` section and puts the first host (or `--set kv.nodes=N` hosts) in group `kv`.
   */
  kv?: { type: string };
  /** The store type the final `mesh:` section asks for (e.g. overlay's `store: consul`), if it names one. */
  kvType?(mesh: Record<string, unknown>): string | undefined;
  /**
   * Package sources the hosts need for the final `mesh:` section and store type (e.g. an older
   * release for Consul and a Consul-capable engine), written into the inventory's `package_sources:`.
   */
  packageSources?(mesh: Record<string, unknown>, kvType: string | undefined): SandboxPackageSource[];
}

/** An apt source as a user would add it; the sandbox renders it into `package_sources:`. */
export interface SandboxPackageSource {
  /** Its name in the inventory (and in the hosts' file names), e.g. bullseye. */
  name: string;
  uri: string;
  suite: string;
  components: readonly string[];
  /** The pin of the whole source: 100 takes nothing from it that is not asked for. */
  priority: number;
  /** Packages preferred from this source over the host's release, at `packagesPriority` (990: preferred, never a downgrade). */
  packages?: readonly string[];
  packagesPriority?: number;
}

export interface SandboxRouter {
  /** Answer on this VLAN only (tagged frames on the underlay), instead of untagged. */
  vlan?: number | undefined;
}

export interface Backend<S extends MeshSchema = MeshSchema> {
  name: string;
  /** One line: what it builds. Shown in help and in the docs' comparison table. */
  summary: string;
  /**
   * Bytes the encapsulation adds to each frame: the mesh MTU defaults to underlay MTU − this. A
   * function of the section when a setting decides whether there is any (vxlan's host-gw mode).
   */
  overhead: number | ((mesh: Omit<MeshOf<S>, 'mtu'>) => number);
  /** The schema of this backend's `mesh:` section, `backend: z.literal(name)` included. */
  meshSchema: S;
  /** Cross-field checks of its own (paths are inventory paths); the common ones run for every backend. */
  check?(input: CheckInput<MeshOf<S>>): FieldProblem[];
  /** Extra template values under `mesh.` for one host, from the section, the host and the whole address plan. */
  hostVars?(mesh: MeshOf<S>, host: { name: string; underlay_address: string }, plan: MeshPlan): Record<string, unknown>;
  /**
   * Values under `mesh.` decided from what earlier plays registered on the hosts (see
   * docs/playbooks.md), e.g. overlay's `store: auto` from each host's engine; called with nothing
   * registered before the run, and again after each play.
   */
  decide?(mesh: MeshOf<S>, registered: ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>): Record<string, unknown>;
  /** File name of its playbook under playbooks/. */
  playbook: string;
  /** Its page, relative to the repository root. */
  docs: string;
  sandbox(input: SandboxInput): SandboxDefaults;
  /**
   * The bridge that `up` moves the underlay NIC's address onto, when it does (preflight warns when
   * SSH arrives on that NIC): l2's Docker bridge, the OVS userspace datapath's br-phy.
   */
  underlayBridge?(mesh: MeshOf<S>): string | undefined;
  /** A network the pool lies inside by design (l2: the hosts' own subnet): its route is no overlap. */
  poolParent?(mesh: MeshOf<S>): string | undefined;
  /**
   * Where a host's containers take their addresses from, given its slice of the pool: the slice
   * itself by default; the whole network where Docker hands out addresses across hosts (overlay).
   */
  containerRange?(mesh: MeshOf<S>, slice: string): string;
  /** Docker names the hosts by hostname (swarm nodes, a cluster store's): two hosts sharing one stop `up`, with no --force. */
  uniqueHostnames?: boolean;
  /** The Docker network `verify` starts its probes on, when the mesh is one (an overlay); default: Docker's bridge. */
  probeNetwork?(mesh: MeshOf<S>): string | undefined;
  /** An address outside the mesh that every host's containers must reach (`verify` pings it). */
  gateway?(mesh: MeshOf<S>): string | undefined;
}

/** The backend's overhead for this section (see `overhead`). */
export function overheadOf(backend: Backend, mesh: UnresolvedMesh): number {
  // The registry sees each backend through the common shape; its own fields are there.
  return typeof backend.overhead === 'number' ? backend.overhead : backend.overhead(mesh as never);
}

export function defineBackend<S extends MeshSchema>(backend: Backend<S>): Backend<S> {
  return backend;
}
