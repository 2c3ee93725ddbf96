// An Ansible inventory as read from its files, every value with the place it was written:
// what the INI and YAML readers produce and the conversion to meshctl's inventory takes.

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface VarValue {
  value: unknown;
  at: SourcePos;
}

/** Variables in the order written; a later `set` of a name replaces the earlier one. */
export type VarMap = Map<string, VarValue>;

export interface AnsibleHost {
  name: string;
  /** Where the host is first listed. */
  at: SourcePos;
  /** Variables written with the host in the inventory file (`k=v` on its line, or under it in YAML). */
  vars: VarMap;
}

export interface AnsibleGroup {
  name: string;
  at: SourcePos;
  /** Hosts listed in the group itself (not through its children). */
  hosts: string[];
  children: string[];
  vars: VarMap;
}

export interface AnsibleInventory {
  file: string;
  /** In the order first listed. */
  hosts: Map<string, AnsibleHost>;
  groups: Map<string, AnsibleGroup>;
}

export function emptyInventory(file: string): AnsibleInventory {
  return { file, hosts: new Map(), groups: new Map() };
}

/** The group of that name, made (at `at`) when first met. */
export function groupNamed(inventory: AnsibleInventory, name: string, at: SourcePos): AnsibleGroup {
  let group = inventory.groups.get(name);
  if (group === undefined) {
    group = { name, at, hosts: [], children: [], vars: new Map() };
    inventory.groups.set(name, group);
  }
  return group;
}

/** Lists `name` in `group` (once), merging the variables given with it into the host's. */
export function addHost(inventory: AnsibleInventory, group: AnsibleGroup, name: string, at: SourcePos, vars: VarMap): void {
  let host = inventory.hosts.get(name);
  if (host === undefined) {
    host = { name, at, vars: new Map() };
    inventory.hosts.set(name, host);
  }
  for (const [key, value] of vars) host.vars.set(key, value);
  if (!group.hosts.includes(name)) group.hosts.push(name);
}

/**
 * Ansible's host ranges: `web[01:03].lan` → web01.lan, web02.lan, web03.lan; `[a:c]` letters;
 * `[1:9:2]` a stride. Returns the pattern itself when it has none, or a reason it cannot be read.
 */
export function expandHostPattern(pattern: string): string[] | { problem: string } {
  const match = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern);
  if (match === null) return [pattern];
  const [, head = '', range = '', tail = ''] = match;
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3) return { problem: `'[${range}]' is not a host range such as [01:50] or [a:f]` };
  const [from = '', to = '', strideText = '1'] = parts;
  const stride = Number(strideText);
  if (!Number.isInteger(stride) || stride < 1) return { problem: `'${strideText}' is not a stride in '[${range}]'` };
  const rest = expandHostPattern(tail);
  if ('problem' in rest) return rest;
  let names: string[];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.startsWith('0') ? from.length : 0;
    names = [];
    for (let i = Number(from); i <= Number(to); i += stride) names.push(String(i).padStart(width, '0'));
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    names = [];
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += stride) names.push(String.fromCharCode(c));
  } else {
    return { problem: `'[${range}]' is not a host range such as [01:50] or [a:f]` };
  }
  if (names.length === 0) return { problem: `'[${range}]' is an empty range` };
  return names.flatMap((name) => rest.map((end) => `${head}${name}${end}`));
}
