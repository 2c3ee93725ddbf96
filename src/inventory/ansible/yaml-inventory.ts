// Ansible's YAML inventory → AnsibleInventory, e.g.
//   all: { vars: {ansible_user: ops}, children: { web: { hosts: { web1: {ansible_host: 10.0.0.5} } } } }
// Groups nest under `children:`; a host is a key under `hosts:` with its variables (or nothing).
import { InputError, type InputProblem } from '../../errors.js';
import { formatFieldPath, locate, type FieldPath } from '../locate.js';
import { readYaml } from '../yaml.js';
import { addHost, emptyInventory, expandHostPattern, groupNamed, type AnsibleInventory, type SourcePos, type VarMap } from './model.js';

const GROUP_KEYS = ['hosts', 'children', 'vars'];

export function parseYamlInventory(text: string, file: string): AnsibleInventory {
  const { doc, lines, value } = readYaml(text, file);
  const inventory = emptyInventory(file);
  const problems: InputProblem[] = [];
  const at = (path: FieldPath, keyOf?: string): SourcePos => ({ file, ...locate(doc, lines, path, keyOf) });
  const problem = (path: FieldPath, message: string, keyOf?: string): void => {
    problems.push({ ...at(path, keyOf), field: formatFieldPath(keyOf === undefined ? path : [...path, keyOf]) || '(top level)', message });
  };
  const varsAt = (path: FieldPath, value: unknown): VarMap => {
    const vars: VarMap = new Map();
    if (value === null || value === undefined) return vars;
    if (!isMap(value)) {
      problem(path, 'expected a map of variables');
      return vars;
    }
    for (const [key, v] of Object.entries(value)) vars.set(key, { value: v, at: at([...path, key]) });
    return vars;
  };

  const readGroup = (name: string, path: FieldPath, value: unknown): void => {
    const group = groupNamed(inventory, name, at(path.slice(0, -1), String(path[path.length - 1])));
    if (value === null || value === undefined) return;
    if (!isMap(value)) {
      problem(path, `group ${name} must be a map with hosts:, children: or vars:`);
      return;
    }
    for (const key of Object.keys(value).filter((k) => !GROUP_KEYS.includes(k))) {
      problem(path, `unknown key in group ${name} (a group has hosts:, children: and vars:; a host goes under hosts:)`, key);
    }
    for (const [key, vars] of varsAt([...path, 'vars'], value['vars'])) group.vars.set(key, vars);
    const hosts = value['hosts'];
    if (hosts !== null && hosts !== undefined) {
      if (!isMap(hosts)) problem([...path, 'hosts'], 'expected a map of host names (each with its variables, or nothing)');
      else {
        for (const [pattern, hostVars] of Object.entries(hosts)) {
          const names = expandHostPattern(pattern);
          if ('problem' in names) {
            problem([...path, 'hosts'], names.problem, pattern);
            continue;
          }
          const vars = varsAt([...path, 'hosts', pattern], hostVars);
          for (const host of names) addHost(inventory, group, host, at([...path, 'hosts'], pattern), vars);
        }
      }
    }
    const children = value['children'];
    if (children !== null && children !== undefined) {
      if (!isMap(children)) problem([...path, 'children'], 'expected a map of groups');
      else {
        for (const [child, childValue] of Object.entries(children)) {
          if (!group.children.includes(child)) group.children.push(child);
          readGroup(child, [...path, 'children', child], childValue);
        }
      }
    }
  };

  if (!isMap(value)) throw new InputError([{ file, line: 1, column: 1, field: '(top level)', message: 'an Ansible YAML inventory is a map of groups, such as all: { hosts: ..., children: ... }' }]);
  groupNamed(inventory, 'all', at([]));
  for (const [name, group] of Object.entries(value)) {
    readGroup(name, [name], group);
    if (name !== 'all') {
      const all = groupNamed(inventory, 'all', at([]));
      if (!all.children.includes(name)) all.children.push(name);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return inventory;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
