// An Ansible inventory (with its group_vars and host_vars) → the plain data of a meshctl
// inventory, and where each host field was written, so the one validator reports problems at
// the Ansible file's line. The mapping:
//   ansible_host (default: the name) → address      ansible_user → ssh.user
//   ansible_port → ssh.port                          ansible_ssh_private_key_file → ssh.key
//   ansible_become → become                          ansible_become_password "{{ lookup('env', 'X') }}" → become_password_env X
//   meshctl_underlay_address → underlay_address      meshctl_mesh_index → mesh_index
//   the host's groups (but all, ungrouped) → groups  other variables → vars
// Precedence as Ansible's: inventory-file group vars (parents before children, then by name) <
// group_vars/all < group_vars/<group> < inventory-file host vars < host_vars/<host>.
import { formatProblem, type InputProblem } from '../../errors.js';
import type { AnsibleInventory, SourcePos, VarMap, VarValue } from './model.js';
import type { VarsFile } from './vars-files.js';

/** Where a field of the converted inventory was written, and what it is called there. */
export interface FieldSource {
  at: SourcePos;
  field: string;
}

export interface ConvertedHosts {
  hosts: Record<string, unknown>[];
  groups: Record<string, Record<string, never>>;
  /** Per host: field path below hosts[i] ('' for the host, 'ssh.port', 'vars.zone') → where it was written. */
  hostSources: Map<string, FieldSource>[];
  groupSources: Map<string, SourcePos>;
  problems: InputProblem[];
}

const BUILTIN_GROUPS = new Set(['all', 'ungrouped']);
/** The meshctl settings' key in group_vars/all; it is no playbook variable. */
export const SETTINGS_KEY = 'meshctl';

const ALIASES: Record<string, readonly string[]> = {
  address: ['ansible_host', 'ansible_ssh_host'],
  user: ['ansible_user', 'ansible_ssh_user'],
  port: ['ansible_port', 'ansible_ssh_port'],
  key: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become: ['ansible_become'],
  password: ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'],
};
const ENV_LOOKUP = /^\{\{\s*lookup\(\s*['"](?:ansible\.builtin\.)?env['"]\s*,\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*\}\}$/;

export function convertHosts(inventory: AnsibleInventory, groupVars: ReadonlyMap<string, VarsFile[]>, hostVars: ReadonlyMap<string, VarsFile[]>): ConvertedHosts {
  const problems: InputProblem[] = [];
  const depth = groupDepths(inventory, problems);
  const memberOf = membership(inventory);
  const groupSources = new Map([...inventory.groups].filter(([name]) => !BUILTIN_GROUPS.has(name)).map(([name, group]) => [name, group.at]));
  const groups = Object.fromEntries([...groupSources.keys()].map((name) => [name, {}]));
  const byDepth = (a: string, b: string): number => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b);

  const converted = [...inventory.hosts.values()].map((host) => {
    const hostGroups = [...(memberOf.get(host.name) ?? [])].filter((name) => !BUILTIN_GROUPS.has(name)).sort(byDepth);
    const ordered = ['all', ...hostGroups];
    const layers: VarMap[] = [
      ...ordered.map((name) => inventory.groups.get(name)?.vars ?? new Map()),
      ...ordered.flatMap((name) => (groupVars.get(name) ?? []).map((file) => file.vars)),
      host.vars,
      ...(hostVars.get(host.name) ?? []).map((file) => file.vars),
    ];
    const vars: VarMap = new Map();
    for (const layer of layers) for (const [key, value] of layer) vars.set(key, value);
    vars.delete(SETTINGS_KEY);
    const own = new Set([host.vars, ...(hostVars.get(host.name) ?? []).map((file) => file.vars)].flatMap((layer) => [...layer.values()]));
    return convertHost(host.name, host.at, hostGroups, vars, own, problems);
  });
  // A group's variable is one problem, however many hosts take it.
  const unique = [...new Map(problems.map((p) => [formatProblem(p), p])).values()];
  return { hosts: converted.map((c) => c.host), groups, hostSources: converted.map((c) => c.sources), groupSources, problems: unique };
}

/** `own`: the values written for this host itself (a group's are named without the host: one problem for all its hosts). */
function convertHost(name: string, at: SourcePos, groups: string[], vars: VarMap, own: ReadonlySet<VarValue>, problems: InputProblem[]): { host: Record<string, unknown>; sources: Map<string, FieldSource> } {
  const sources = new Map<string, FieldSource>([['', { at, field: name }], ['name', { at, field: name }]]);
  const host: Record<string, unknown> = { name, address: name, groups };
  const fieldName = (key: string, v: VarValue): string => (own.has(v) ? `${name} ${key}` : key);
  const problem = (key: string, v: VarValue, message: string): void => {
    problems.push({ ...v.at, field: fieldName(key, v), message });
  };
  const first = (aliases: readonly string[]): [string, VarValue] | undefined => {
    for (const alias of aliases) {
      const v = vars.get(alias);
      if (v !== undefined) return [alias, v];
    }
    return undefined;
  };
  const set = (field: string, aliases: readonly string[], convert: (value: unknown) => unknown = (v) => v): void => {
    const found = first(aliases);
    if (found === undefined) return;
    const [key, v] = found;
    if (typeof v.value === 'string' && v.value.includes('{{')) {
      problem(key, v, `${JSON.stringify(v.value)} is a Jinja template, which meshctl does not evaluate: write the value itself`);
      return;
    }
    const path = field.split('.');
    let target = host;
    for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[path[path.length - 1] ?? field] = convert(v.value);
    sources.set(field, { at: v.at, field: fieldName(key, v) });
  };

  set('address', ALIASES['address'] ?? [], String);
  set('ssh.user', ALIASES['user'] ?? []);
  set('ssh.port', ALIASES['port'] ?? [], wholeNumber);
  set('ssh.key', ALIASES['key'] ?? []);
  set('become', ALIASES['become'] ?? [], ansibleBoolean);
  set('underlay_address', ['meshctl_underlay_address']);
  set('mesh_index', ['meshctl_mesh_index'], wholeNumber);

  const password = first(ALIASES['password'] ?? []);
  if (password !== undefined) {
    const [key, v] = password;
    const env = typeof v.value === 'string' ? ENV_LOOKUP.exec(v.value.trim())?.[1] : undefined;
    if (env !== undefined) {
      host['become_password_env'] = env;
      sources.set('become_password_env', { at: v.at, field: fieldName(key, v) });
    } else {
      // The value is never repeated: it may be the password.
      problem(key, v, `meshctl reads the sudo password only from an environment variable, never from the inventory: write ${key}="{{ lookup('env', 'NAME') }}" and export NAME`);
    }
  }
  refuseUnless(vars.get('ansible_become_user'), (v) => v === 'root', 'ansible_become_user', 'meshctl becomes root only: remove it or set it to root');
  refuseUnless(vars.get('ansible_become_method'), (v) => v === 'sudo', 'ansible_become_method', 'meshctl becomes root through sudo only');
  refuseUnless(vars.get('ansible_connection'), (v) => v === 'ssh' || v === 'smart' || v === 'paramiko', 'ansible_connection', 'meshctl reaches hosts over SSH only (ssh, smart or paramiko)');

  const free: Record<string, unknown> = {};
  for (const [key, v] of vars) {
    if (key.startsWith('ansible_') || key.startsWith('meshctl_')) continue;
    free[key] = v.value;
    sources.set(`vars.${key}`, { at: v.at, field: fieldName(key, v) });
  }
  host['vars'] = free;
  groups.forEach((group, i) => sources.set(`groups.${i}`, { at, field: `${name} (group ${group})` }));
  return { host, sources };

  function refuseUnless(v: VarValue | undefined, ok: (value: unknown) => boolean, key: string, why: string): void {
    if (v !== undefined && !ok(v.value)) problem(key, v, `${JSON.stringify(v.value)}: ${why}`);
  }
}

/** A number written as text (INI :vars, quoted YAML) is the number, as Ansible reads it; anything else is left for the schema to refuse with its value. */
function wholeNumber(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** Ansible's booleans: yes/no, true/false, on/off, 1/0 in any case. */
function ansibleBoolean(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['yes', 'true', 'on', '1', 'y'].includes(text)) return true;
  if (['no', 'false', 'off', '0', 'n'].includes(text)) return false;
  return value;
}

/** Each host's groups: those listing it, and every group above those through children. */
function membership(inventory: AnsibleInventory): Map<string, Set<string>> {
  const parents = new Map<string, string[]>();
  for (const group of inventory.groups.values()) {
    for (const child of group.children) parents.set(child, [...(parents.get(child) ?? []), group.name]);
  }
  const ancestors = (name: string, seen: Set<string>): void => {
    for (const parent of parents.get(name) ?? []) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      ancestors(parent, seen);
    }
  };
  const result = new Map<string, Set<string>>();
  for (const group of inventory.groups.values()) {
    for (const host of group.hosts) {
      const groups = result.get(host) ?? new Set(['all']);
      groups.add(group.name);
      ancestors(group.name, groups);
      result.set(host, groups);
    }
  }
  return result;
}

/** A group's depth below all (Ansible applies parents' vars before children's); a loop is a problem. */
function groupDepths(inventory: AnsibleInventory, problems: InputProblem[]): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const visit = (name: string, level: number, path: string[]): void => {
    if (path.includes(name)) {
      const group = inventory.groups.get(name);
      if (group !== undefined) problems.push({ ...group.at, field: name, message: `group ${name} is its own child (${[...path.slice(path.indexOf(name)), name].join(' → ')})` });
      return;
    }
    if ((depth.get(name) ?? -1) >= level && name !== 'all') return;
    if (name !== 'all') depth.set(name, level);
    for (const child of inventory.groups.get(name)?.children ?? []) visit(child, level + 1, [...path, name]);
  };
  visit('all', 0, []);
  for (const name of inventory.groups.keys()) if (!depth.has(name)) visit(name, 1, []);
  return depth;
}
