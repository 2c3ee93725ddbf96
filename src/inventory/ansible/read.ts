// `meshctl up -i hosts.ini`: an Ansible inventory (INI, or YAML with `all:`) with its
// group_vars/ and host_vars/, and the mesh settings from `meshctl.yaml` in the same directory
// (mesh:, kv:, package_sources:, ssh:, become:, vars:) or from a `meshctl:` key in
// group_vars/all, as the plain data of a meshctl inventory for the one validator.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, type InputProblem } from '../../errors.js';
import type { InventoryInput, ProblemAt } from '../load.js';
import { formatFieldPath, locate, type FieldPath } from '../locate.js';
import { readYaml } from '../yaml.js';
import { convertHosts, SETTINGS_KEY, type FieldSource } from './convert.js';
import { parseIniInventory } from './ini.js';
import type { AnsibleInventory } from './model.js';
import { readVarsDir, type VarsFile } from './vars-files.js';
import { parseYamlInventory } from './yaml-inventory.js';

/** The mesh settings' file next to an Ansible inventory. */
export const SETTINGS_FILE = 'meshctl.yaml';

/**
 * Whether `text` is an Ansible inventory: YAML (by extension, or a first line `key:`) whose top
 * level has no hosts: list and no mesh: but groups (all:, or maps of hosts/children/vars), or else INI.
 */
export function isAnsibleInventory(file: string, text: string): boolean {
  const yamlExtension = /\.(ya?ml|json)$/i.test(file);
  const firstLine = text.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#') && line !== '---');
  if (firstLine === undefined) return false;
  const looksYaml = yamlExtension || /^[A-Za-z0-9_."'-]+\s*:(\s|$)/.test(firstLine) || firstLine.startsWith('{');
  if (!looksYaml) return /^\[[^\]]+\]/.test(firstLine) || /\.(ini|cfg)$/i.test(file) || path.extname(file) === '' || /^\S+(\s+\S+=\S*)*$/.test(firstLine);
  let value: unknown;
  try {
    value = readYaml(text, file).value;
  } catch {
    return false;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const top = value as Record<string, unknown>;
  if ('mesh' in top || Array.isArray(top['hosts'])) return false;
  if ('all' in top) return true;
  const entries = Object.values(top);
  return entries.length > 0 && entries.every((group) => group === null || (typeof group === 'object' && !Array.isArray(group) && Object.keys(group).every((key) => ['hosts', 'children', 'vars'].includes(key))));
}

interface Settings {
  value: Record<string, unknown>;
  /** Where a path of the settings is written (file, and the path inside it). */
  at: (fieldPath: FieldPath, keyOf?: string) => { file: string; line: number; column: number; field: string };
}

export async function readAnsibleInventory(file: string, text: string): Promise<InventoryInput> {
  const inventory: AnsibleInventory = isYamlText(file, text) ? parseYamlInventory(text, file) : parseIniInventory(text, file);
  const dir = path.dirname(path.resolve(file));
  const [groupVars, hostVars] = await Promise.all([readVarsDir(path.join(dir, 'group_vars')), readVarsDir(path.join(dir, 'host_vars'))]);
  const settings = await readSettings(file, dir, groupVars.get('all') ?? []);
  const converted = convertHosts(inventory, groupVars, hostVars);

  const taken = ['hosts', 'groups'].filter((key) => key in settings.value);
  if (taken.length > 0) {
    throw new InputError(taken.map((key) => ({ ...settings.at([], key), message: `${key} come from the Ansible inventory ${file}: leave ${key}: out of the mesh settings` })));
  }
  const value = { ...settings.value, groups: converted.groups, hosts: converted.hosts };
  const names = converted.hosts.map((host) => String(host['name']));
  const problemAt: ProblemAt = (fieldPath, text, keyOf): InputProblem => {
    const [section, index, ...rest] = keyOf === undefined ? fieldPath : [...fieldPath, keyOf];
    // Messages speak of meshctl's fields; say what the operator writes here instead.
    const message = text
      .replace(/(?<!meshctl_)\b(underlay_address|mesh_index)\b/g, 'meshctl_$1')
      .replace(/\bhosts\[(\d+)\](?! \()/g, (whole, i: string) => names[Number(i)] ?? whole);
    if (section === 'hosts' && typeof index === 'number') {
      const source = nearest(converted.hostSources[index], rest);
      if (source !== undefined) return { ...source.at, field: source.field, message };
    }
    if (section === 'hosts') return { file, line: 1, column: 1, field: 'hosts', message };
    if (section === 'groups' && typeof index === 'string') {
      const at = converted.groupSources.get(index);
      if (at !== undefined) return { ...at, field: `group ${index}`, message };
    }
    return { ...settings.at(fieldPath, keyOf), message };
  };
  return { file, value, problemAt, problems: converted.problems };
}

function isYamlText(file: string, text: string): boolean {
  if (/\.(ya?ml|json)$/i.test(file)) return true;
  const firstLine = text.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#') && line !== '---');
  return firstLine !== undefined && (/^[A-Za-z0-9_."'-]+\s*:(\s|$)/.test(firstLine) || firstLine.startsWith('{'));
}

/** The source of the longest prefix of `rest` recorded for a host. */
function nearest(sources: ReadonlyMap<string, FieldSource> | undefined, rest: readonly (string | number)[]): FieldSource | undefined {
  if (sources === undefined) return undefined;
  for (let length = rest.length; length >= 0; length--) {
    const found = sources.get(rest.slice(0, length).map(String).join('.'));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** meshctl.yaml next to the inventory, or the `meshctl:` key of group_vars/all; not both. */
async function readSettings(file: string, dir: string, allVars: readonly VarsFile[]): Promise<Settings> {
  const settingsFile = path.join(dir, SETTINGS_FILE);
  const text = await readFile(settingsFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new InputError([{ file: settingsFile, line: 1, column: 1, field: '(file)', message: `cannot read ${settingsFile}: ${error.code ?? error.message}` }]);
  });
  const inVars = allVars.filter((vars) => vars.vars.has(SETTINGS_KEY));
  const fromVars = inVars[inVars.length - 1];
  if (text !== undefined && fromVars !== undefined) {
    const at = fromVars.vars.get(SETTINGS_KEY)?.at ?? { file: fromVars.file, line: 1, column: 1 };
    throw new InputError([{ ...at, field: SETTINGS_KEY, message: `the mesh settings are also in ${settingsFile}: keep them in one place` }]);
  }
  if (text !== undefined) {
    const { doc, lines, value } = readYaml(text, settingsFile);
    const map = value === null || value === undefined ? {} : value;
    if (typeof map !== 'object' || Array.isArray(map)) {
      throw new InputError([{ file: settingsFile, line: 1, column: 1, field: '(top level)', message: 'the mesh settings are a map: mesh:, and kv:, package_sources:, ssh:, become:, vars: as needed' }]);
    }
    return {
      value: map as Record<string, unknown>,
      at: (fieldPath, keyOf) => ({ file: settingsFile, ...locate(doc, lines, fieldPath, keyOf), field: formatFieldPath(keyOf === undefined ? fieldPath : [...fieldPath, keyOf]) || '(top level)' }),
    };
  }
  if (fromVars !== undefined) {
    const value = fromVars.value[SETTINGS_KEY];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const at = fromVars.vars.get(SETTINGS_KEY)?.at ?? { file: fromVars.file, line: 1, column: 1 };
      throw new InputError([{ ...at, field: SETTINGS_KEY, message: 'expected a map: mesh:, and kv:, package_sources:, ssh:, become:, vars: as needed' }]);
    }
    return {
      value: value as Record<string, unknown>,
      at: (fieldPath, keyOf) => {
        const full = [SETTINGS_KEY, ...fieldPath];
        return { file: fromVars.file, ...locate(fromVars.doc, fromVars.lines, full, keyOf), field: formatFieldPath(keyOf === undefined ? full : [...full, keyOf]) };
      },
    };
  }
  throw new InputError([
    {
      file,
      line: 1,
      column: 1,
      field: '(mesh settings)',
      message: `an Ansible inventory needs the mesh settings: write ${settingsFile} (mesh:, and kv:, package_sources:, ssh: as needed), or put them under a ${SETTINGS_KEY}: key in ${path.join(dir, 'group_vars', 'all.yml')}`,
    },
  ]);
}
