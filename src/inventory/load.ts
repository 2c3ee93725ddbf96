// Reads an inventory file, validates everything, and returns the typed Inventory.
// Every problem is reported at once as file:line:column field: message; no host is touched.
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, InputError, UsageError, type FieldProblem, type InputProblem } from '../errors.js';
import { findBackend, overheadOf, type Backend, type UnresolvedMesh } from '../backends/index.js';
import { KV_DEFAULT_PORTS, type KvStore } from '../kv/endpoints.js';
import { armoredPublicKey } from '../packages/armor.js';
import type { InventorySource, PackageSource } from '../packages/source.js';
import { checkInventory, KV_GROUP } from './checks.js';
import { resolveDocker } from './docker.js';
import { hostLayers } from './layers.js';
import { formatFieldPath, locate, type FieldPath } from './locate.js';
import { checkReferences } from './references.js';
import { schemaMessages, schemaProblems } from './schema-problems.js';
import { isAnsibleInventory, readAnsibleInventory } from './ansible/read.js';
import { inventorySchema, type RawHost, type RawInventory } from './schema.js';
import { resolveConnection, resolvePath, SshConfigFiles, type ResolvedConnection } from './ssh-settings.js';
import { resolveShipped } from './shipped.js';
import { parseBuildSource, type OvsBuild } from '../build/source.js';
import type { Host, Inventory, MeshSpec, SourceLocation, StateSettings } from './types.js';
import { readYaml } from './yaml.js';

/**
 * Reads, validates and resolves the inventory at `file` (meshctl's YAML, or an Ansible inventory:
 * src/inventory/ansible/), then checks what it refers to outside itself (key files,
 * known_hosts, sudo password variables in `env`, the SSH agent): when this returns, nothing a
 * connection needs from this machine is missing.
 */
export async function loadInventory(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Inventory> {
  const text = await readInventoryText(file);
  const source = isAnsibleInventory(file, text) ? await readAnsibleInventory(file, text) : yamlSource(text, file);
  const { inventory, raw, problemAt } = validateInventory(source);
  const problems = await checkReferences({ raw, hosts: inventory.hosts, env, problemAt });
  if (problems.length > 0) throw new InputError(inFileOrder(problems));
  return inventory;
}

/** Parses and validates meshctl inventory text; `file` is used for messages and relative paths. */
export function parseInventory(text: string, file: string): Inventory {
  return validateInventory(yamlSource(text, file)).inventory;
}

/**
 * An inventory as plain data, before validation, and how to name the place a field was written.
 * Paths in it are relative to `file`'s directory.
 */
export interface InventoryInput {
  file: string;
  value: unknown;
  problemAt: ProblemAt;
  /** Found while reading it (an Ansible variable refused), reported with the validator's. */
  problems?: readonly InputProblem[];
}

function yamlSource(text: string, file: string): InventoryInput {
  const { doc, lines, value } = readYaml(text, file);
  const problemAt: ProblemAt = (fieldPath, message, keyOf) => {
    const pos = locate(doc, lines, fieldPath, keyOf);
    const field = formatFieldPath(keyOf === undefined ? fieldPath : [...fieldPath, keyOf]);
    return { file, line: pos.line, column: pos.column, field: field === '' ? '(top level)' : field, message };
  };
  return { file, value, problemAt };
}

async function readInventoryText(file: string): Promise<string> {
  const found = await stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (!(found instanceof Error) && found.isDirectory()) {
    const yamlFiles = (await readdir(file).catch(() => [])).filter((name) => /\.ya?ml$/.test(name)).sort();
    const hint = yamlFiles.length === 0 ? 'it holds no .yaml file' : `it holds ${yamlFiles.slice(0, 5).join(', ')}${yamlFiles.length > 5 ? ', ...' : ''}`;
    throw new UsageError(`inventory ${file} is a directory: give the inventory file itself (${hint})`);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new UsageError(`cannot read inventory ${file}: ${reason}`);
  }
}

/** Problems as they appear in the file, top to bottom (a stable sort keeps one place's problems in order). */
function inFileOrder(problems: readonly InputProblem[]): InputProblem[] {
  // One setting that several hosts share (an Ansible group var) is one problem.
  const unique = new Map(problems.map((p) => [`${formatProblem(p)}`, p]));
  return [...unique.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

export type ProblemAt = (fieldPath: FieldPath, message: string, keyOf?: string) => InputProblem;

interface ValidInventory {
  inventory: Inventory;
  raw: RawInventory;
  problemAt: ProblemAt;
}

function validateInventory({ file, value, problemAt, problems: early = [] }: InventoryInput): ValidInventory {
  if (value === null || value === undefined) {
    throw new InputError([problemAt([], 'the inventory is empty: it needs at least hosts: and mesh:')]);
  }

  const parsed = inventorySchema.safeParse(value, { reportInput: true, error: schemaMessages });
  if (!parsed.success) {
    throw new InputError(inFileOrder([...early, ...schemaProblems(parsed.error.issues, problemAt, inventorySchema, value)]));
  }
  if (early.length > 0) throw new InputError(inFileOrder(early));
  const backend = findBackend(parsed.data.mesh.backend as string);
  // The schema only lets known backends through.
  if (backend === undefined) throw new Error(`no backend ${String(parsed.data.mesh.backend)}`);
  const baseDir = path.dirname(path.resolve(file));
  const connections = resolveConnections(parsed.data, baseDir);
  if (connections.problems.length > 0) throw new InputError(inFileOrder(connections.problems.map((p) => problemAt(p.path, p.message))));
  // The checks see the address SSH will connect to (ssh config's HostName for an alias).
  const raw: RawInventory = { ...parsed.data, hosts: parsed.data.hosts.map((host, i) => ({ ...host, address: connections.resolved[i]?.address ?? host.address })) };
  const problems = checkInventory(raw, backend).map((p) => problemAt(p.path, p.message));
  if (problems.length > 0) throw new InputError(inFileOrder(problems));
  const sources = resolvePackageSources(raw.package_sources ?? [], baseDir);
  if (sources.problems.length > 0) throw new InputError(inFileOrder(sources.problems.map((p) => problemAt(p.path, p.message))));
  const sourceOf = (fieldPath: FieldPath): SourceLocation => {
    const { message: _, ...location } = problemAt(fieldPath, '');
    return location;
  };
  const shipped = resolveShipped({ ovs: raw.ovs?.source, docker: raw.docker?.source }, baseDir);
  if (shipped.problems.length > 0) throw new InputError(inFileOrder(shipped.problems.map((p) => problemAt(p.path, p.message))));
  const ovsBuild = resolveOvsBuild(raw, baseDir);
  if ('problem' in ovsBuild) throw new InputError([problemAt(['ovs', 'build', 'source'], ovsBuild.problem)]);
  const inventory: Inventory = { ...resolveInventory(raw, file, backend, connections.resolved, sourceOf), packageSources: sources.resolved, shipped: shipped.shipped };
  if (ovsBuild.build !== undefined) inventory.ovsBuild = ovsBuild.build;
  return { inventory, raw, problemAt };
}

/** `ovs.build` and `ovs.source: build`; a local tarball must exist (it is read only by a build). */
function resolveOvsBuild(raw: RawInventory, baseDir: string): { build: OvsBuild | undefined } | { problem: string } {
  const forUp = raw.ovs?.source === 'build';
  if (!forUp && raw.ovs?.build === undefined) return { build: undefined };
  const source = parseBuildSource(raw.ovs?.build?.source, baseDir);
  if (source.kind === 'file') {
    const problem = tarballProblem(source.path);
    if (problem !== undefined) return { problem };
  }
  return { build: { source, format: raw.ovs?.build?.format ?? 'deb', forUp } };
}

/** Why a tarball path cannot be built from, if it cannot. */
export function tarballProblem(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? undefined : `${file} is not a file`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `no such file: ${file}` : `cannot read ${file}: ${code ?? String(error)}`;
  }
}

function resolveConnections(raw: RawInventory, baseDir: string): { resolved: ResolvedConnection[]; problems: FieldProblem[] } {
  const files = new SshConfigFiles();
  const problems: FieldProblem[] = [];
  const resolved = raw.hosts.map((host, index) => {
    const result = resolveConnection(hostLayers(raw, index), host.address, baseDir, files);
    problems.push(...result.problems);
    return result.resolved;
  });
  return { resolved, problems };
}

/**
 * The sources as the package_sources module takes them: a key file's text replaces its path.
 * Read here, not with the other references, because the text is part of what playbooks get.
 */
function resolvePackageSources(sources: readonly InventorySource[], baseDir: string): { resolved: PackageSource[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const resolved = sources.map((source, i): PackageSource => {
    if (source.apt === undefined) return { name: source.name, ...(source.yum === undefined ? {} : { yum: source.yum }) };
    const { key, ...apt } = source.apt;
    let keyText: string | undefined;
    if (key !== undefined) {
      const file = resolvePath(key, baseDir);
      const read = readKeyFile(file);
      if ('problem' in read) problems.push({ path: ['package_sources', i, 'apt', 'key'], message: read.problem });
      else keyText = read.text;
    }
    return { ...source, apt: keyText === undefined ? apt : { ...apt, key_text: keyText } };
  });
  return { resolved, problems };
}

function readKeyFile(file: string): { text: string } | { problem: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { problem: `no such file: ${file}` };
    if (code === 'EISDIR') return { problem: `${file} is a directory, not a key file` };
    return { problem: `cannot read ${file}: ${code === 'EACCES' ? 'permission denied' : (code ?? String(error))}` };
  }
  const text = armoredPublicKey(bytes);
  return text === undefined ? { problem: `${file} is not an OpenPGP public key (armored or binary)` } : { text };
}

function resolveInventory(
  raw: RawInventory,
  file: string,
  backend: Backend,
  connections: readonly ResolvedConnection[],
  sourceOf: (fieldPath: FieldPath) => SourceLocation,
): Omit<Inventory, 'packageSources' | 'shipped'> {
  const hosts = raw.hosts.map((host, index) => resolveHost(raw, host, index, connections[index], sourceOf));
  const groups = Object.keys(raw.groups ?? {});
  const inventory = { file, hosts, groups, mesh: resolveMesh(raw, backend), backend, state: resolveState(raw), selinux: raw.selinux ?? 'enforcing' };
  if (raw.kv === undefined) return inventory;
  const kv: KvStore = {
    type: raw.kv.type,
    nodes: hosts.filter((host) => host.groups.includes(KV_GROUP)).map((host) => ({ name: host.name, address: host.underlayAddress })),
    ports: { ...KV_DEFAULT_PORTS[raw.kv.type], ...definedPorts(raw.kv.ports ?? {}) },
  };
  return { ...inventory, groups: groups.includes(KV_GROUP) ? groups : [...groups, KV_GROUP], kv };
}

function resolveState(raw: RawInventory): StateSettings {
  const state = raw.state;
  // checkInventory refused an etcd or consul store without endpoints or prefix.
  if (state === undefined || state.store === 'file' || state.endpoints === undefined || state.prefix === undefined) return { store: 'file' };
  return { store: state.store, endpoints: state.endpoints, prefix: state.prefix };
}

function definedPorts(ports: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(ports).filter((entry): entry is [string, number] => entry[1] !== undefined));
}

function resolveHost(raw: RawInventory, host: RawHost, index: number, connection: ResolvedConnection | undefined, sourceOf: (fieldPath: FieldPath) => SourceLocation): Host {
  if (connection === undefined) throw new Error(`no connection settings for hosts[${index}]`);
  const layers = hostLayers(raw, index).map((layer) => layer.settings);
  const vars: Record<string, unknown> = Object.assign({}, ...layers.map((layer) => layer.vars ?? {}));
  const become = layers.reduce<boolean>((value, layer) => layer.become ?? value, false);
  const becomePasswordEnv = layers.reduce<string | undefined>((value, layer) => layer.become_password_env ?? value, undefined);
  const becomePasswordPrompt = layers.reduce<boolean>((value, layer) => layer.become_password_prompt ?? value, false);
  const docker = resolveDocker(raw, index);
  const daemonSources = Object.fromEntries(Object.entries(docker.daemonSources).map(([key, fieldPath]) => [key, sourceOf(fieldPath)]));
  const resolved: Host = {
    name: host.name,
    address: connection.address,
    underlayAddress: host.underlay_address ?? connection.address,
    ssh: connection.ssh,
    become,
    groups: host.groups ?? [],
    vars,
    docker: { daemon: docker.daemon, insecureTcp: docker.insecureTcp, daemonSources },
  };
  if (becomePasswordEnv !== undefined) resolved.becomePasswordEnv = becomePasswordEnv;
  if (becomePasswordPrompt) resolved.becomePasswordPrompt = true;
  if (host.mesh_index !== undefined) resolved.meshIndex = host.mesh_index;
  return resolved;
}

/** The section as validated, with the MTU the backend's encapsulation leaves when none is set. */
function resolveMesh(raw: RawInventory, backend: Backend): MeshSpec {
  const mesh = raw.mesh as unknown as UnresolvedMesh & Record<string, unknown>;
  return { ...mesh, mtu: mesh.mtu ?? mesh.underlay.mtu - overheadOf(backend, mesh) };
}

