// Reads an inventory file, validates everything, and returns the typed Inventory.
// Every problem is reported at once as file:line:column field: message; no host is touched.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError, UsageError, type InputProblem } from '../errors.js';
import { backendNames, findBackend, type Backend, type UnresolvedMesh } from '../backends/index.js';
import { checkInventory } from './checks.js';
import { formatFieldPath, locate, type FieldPath } from './locate.js';
import { inventorySchema, type RawHost, type RawInventory, type RawSsh } from './schema.js';
import type { Host, Inventory, MeshSpec, SshSettings } from './types.js';

export async function loadInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new UsageError(`cannot read inventory ${file}: ${reason}`);
  }
  return parseInventory(text, file);
}

/** Parses and validates inventory text; `file` is used for messages and relative paths. */
export function parseInventory(text: string, file: string): Inventory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
        return { file, line: pos.line, column: pos.col, field: '(syntax)', message: error.message.split('\n')[0] ?? 'invalid YAML' };
      }),
    );
  }
  const problemAt = (fieldPath: FieldPath, message: string, keyOf?: string): InputProblem => {
    const pos = locate(doc, lines, fieldPath, keyOf);
    const field = formatFieldPath(keyOf === undefined ? fieldPath : [...fieldPath, keyOf]);
    return { file, line: pos.line, column: pos.column, field: field === '' ? '(top level)' : field, message };
  };

  const parsed = inventorySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const present = (fieldPath: FieldPath): boolean => doc.hasIn(fieldPath);
    throw new InputError(parsed.error.issues.flatMap((issue) => schemaProblems(issue, problemAt, present)));
  }
  const backend = findBackend(parsed.data.mesh.backend as string);
  // The schema only lets known backends through.
  if (backend === undefined) throw new Error(`no backend ${String(parsed.data.mesh.backend)}`);
  const problems = checkInventory(parsed.data, backend).map((p) => problemAt(p.path, p.message));
  if (problems.length > 0) throw new InputError(problems);
  return resolveInventory(parsed.data, file, backend);
}

type ProblemAt = (fieldPath: FieldPath, message: string, keyOf?: string) => InputProblem;

function schemaProblems(issue: z.core.$ZodIssue, problemAt: ProblemAt, present: (path: FieldPath) => boolean): InputProblem[] {
  const fieldPath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problemAt(fieldPath, 'unknown key', key));
  }
  if (issue.code === 'invalid_type' && !present(fieldPath)) {
    return [problemAt(fieldPath, 'is required')];
  }
  if (issue.code === 'invalid_union' && issue.discriminator === 'backend') {
    if (!present(fieldPath)) return [problemAt(fieldPath, `is required: one of ${backendNames.join(', ')}`)];
    return [problemAt(fieldPath, `unknown backend: use one of ${backendNames.join(', ')}`)];
  }
  return [problemAt(fieldPath, issue.message)];
}

const DEFAULT_SSH = { user: 'root', port: 22, known_hosts: '~/.ssh/known_hosts', connect_timeout: 10, command_timeout: 900 };

function resolveInventory(raw: RawInventory, file: string, backend: Backend): Inventory {
  const baseDir = path.dirname(path.resolve(file));
  const hosts = raw.hosts.map((host) => resolveHost(raw, host, baseDir));
  return { file, hosts, mesh: resolveMesh(raw, backend), backend };
}

function resolveHost(raw: RawInventory, host: RawHost, baseDir: string): Host {
  const groups = (host.groups ?? []).map((name) => raw.groups?.[name] ?? {});
  const layers = [raw, ...groups, host];
  const ssh: RawSsh = Object.assign({}, DEFAULT_SSH, ...layers.map((layer) => layer.ssh ?? {}));
  const vars: Record<string, unknown> = Object.assign({}, ...layers.map((layer) => layer.vars ?? {}));
  const become = layers.reduce<boolean>((value, layer) => layer.become ?? value, false);
  const becomePasswordEnv = layers.reduce<string | undefined>((value, layer) => layer.become_password_env ?? value, undefined);
  const settings: SshSettings = {
    user: ssh.user ?? DEFAULT_SSH.user,
    port: ssh.port ?? DEFAULT_SSH.port,
    knownHosts: resolvePath(ssh.known_hosts ?? DEFAULT_SSH.known_hosts, baseDir),
    connectTimeoutMs: (ssh.connect_timeout ?? DEFAULT_SSH.connect_timeout) * 1000,
    commandTimeoutMs: (ssh.command_timeout ?? DEFAULT_SSH.command_timeout) * 1000,
  };
  if (ssh.key !== undefined) settings.key = resolvePath(ssh.key, baseDir);
  const resolved: Host = {
    name: host.name,
    address: host.address,
    underlayAddress: host.underlay_address ?? host.address,
    ssh: settings,
    become,
    groups: host.groups ?? [],
    vars,
  };
  if (becomePasswordEnv !== undefined) resolved.becomePasswordEnv = becomePasswordEnv;
  if (host.mesh_index !== undefined) resolved.meshIndex = host.mesh_index;
  return resolved;
}

/** The section as validated, with the MTU the backend's encapsulation leaves when none is set. */
function resolveMesh(raw: RawInventory, backend: Backend): MeshSpec {
  const mesh = raw.mesh as unknown as UnresolvedMesh & Record<string, unknown>;
  return { ...mesh, mtu: mesh.mtu ?? mesh.underlay.mtu - backend.overhead };
}

/** `~` is the user's home; relative paths are relative to the inventory file. */
function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}
