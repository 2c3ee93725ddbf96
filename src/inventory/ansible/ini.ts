// Ansible's INI inventory dialect → AnsibleInventory, every host, group and variable with its
// line and column. Written here rather than with an INI library: none keeps line numbers, and
// none reads this dialect (host lines are `name k=v k="quoted v"`, not `key = value`).
// E.g. "[web]\nweb1 ansible_host=10.0.0.5\n[web:vars]\nansible_user=ops\n[prod:children]\nweb\n".
import { InputError, type InputProblem } from '../../errors.js';
import { addHost, emptyInventory, expandHostPattern, groupNamed, type AnsibleInventory, type SourcePos, type VarMap } from './model.js';

type Section = { kind: 'hosts' | 'vars' | 'children'; group: string };

const GROUP_NAME = /^[A-Za-z0-9_.-]+$/;

export function parseIniInventory(text: string, file: string): AnsibleInventory {
  const inventory = emptyInventory(file);
  const problems: InputProblem[] = [];
  const at = (line: number, column: number): SourcePos => ({ file, line, column });
  const problem = (pos: SourcePos, field: string, message: string): void => {
    problems.push({ ...pos, field, message });
  };
  let section: Section = { kind: 'hosts', group: 'ungrouped' };
  groupNamed(inventory, 'all', at(1, 1));

  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const column = indent + 1;
    if (line.startsWith('[')) {
      const header = /^\[([^\]:]+)(?::([^\]]+))?\]\s*(?:[#;].*)?$/.exec(line);
      const name = header?.[1]?.trim();
      const kind = header?.[2]?.trim();
      if (header === null || name === undefined || !GROUP_NAME.test(name)) {
        problem(at(lineNo, column), '(ini)', `'${line}' is not a section header such as [web], [web:vars] or [web:children]`);
        return;
      }
      if (kind !== undefined && kind !== 'vars' && kind !== 'children') {
        problem(at(lineNo, column), `[${name}:${kind}]`, `unknown section kind '${kind}' (use [${name}], [${name}:vars] or [${name}:children])`);
        return;
      }
      section = { kind: kind ?? 'hosts', group: name };
      groupNamed(inventory, name, at(lineNo, column));
      return;
    }
    const group = groupNamed(inventory, section.group, at(lineNo, column));
    switch (section.kind) {
      case 'children': {
        const child = withoutComment(line);
        if (!GROUP_NAME.test(child)) problem(at(lineNo, column), `[${section.group}:children]`, `'${child}' is not a group name`);
        else {
          groupNamed(inventory, child, at(lineNo, column));
          if (!group.children.includes(child)) group.children.push(child);
        }
        return;
      }
      case 'vars': {
        const equals = line.indexOf('=');
        const key = equals === -1 ? '' : line.slice(0, equals).trim();
        if (equals === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
          problem(at(lineNo, column), `[${section.group}:vars]`, `'${line}' is not a variable: write name=value`);
          return;
        }
        const valueText = line.slice(equals + 1);
        const valueColumn = column + equals + 1 + (valueText.length - valueText.trimStart().length);
        // In :vars sections Ansible keeps values as text.
        group.vars.set(key, { value: unquote(valueText.trim()), at: at(lineNo, valueColumn) });
        return;
      }
      case 'hosts': {
        const tokens = tokenize(raw);
        if ('problem' in tokens) {
          problem(at(lineNo, tokens.column), section.group, tokens.problem);
          return;
        }
        const [first, ...rest] = tokens.tokens;
        if (first === undefined) return;
        const vars: VarMap = new Map();
        const hostPos = at(lineNo, first.column);
        for (const token of rest) {
          const equals = token.text.indexOf('=');
          const key = token.text.slice(0, Math.max(equals, 0));
          if (equals <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
            problem(at(lineNo, token.column), first.text, `'${token.raw}' is not a host variable: write name=value after the host name`);
            continue;
          }
          vars.set(key, { value: hostLineValue(token.text.slice(equals + 1), token.quoted), at: at(lineNo, token.column + equals + 1) });
        }
        const { pattern, port } = splitPort(first.text);
        if (port !== undefined) vars.set('ansible_port', { value: port, at: hostPos });
        const names = expandHostPattern(pattern);
        if ('problem' in names) {
          problem(hostPos, first.text, names.problem);
          return;
        }
        for (const name of names) addHost(inventory, group, name, hostPos, vars);
      }
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return inventory;
}

interface Token {
  /** Without quotes. */
  text: string;
  raw: string;
  column: number;
  /** The value part was quoted: it stays text. */
  quoted: boolean;
}

/** Splits a host line as Ansible's shlex does: spaces separate, quotes group, `#` starts a comment. */
function tokenize(line: string): { tokens: Token[] } | { problem: string; column: number } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length || line[i] === '#') break;
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !/\s/.test(line[i] ?? '')) {
      const c = line[i] ?? '';
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        if (end === -1) return { problem: `unclosed ${c} quote`, column: i + 1 };
        text += line.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ text, raw: line.slice(start, i), column: start + 1, quoted });
  }
  return { tokens };
}

/** A value on a host line: Ansible reads it as a Python literal, so an unquoted whole number is a number. */
function hostLineValue(text: string, quoted: boolean): unknown {
  if (quoted) return text;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'True') return true;
  if (text === 'False') return false;
  return text;
}

/** `web1:2222` → web1 and port 2222 (an address with several colons is IPv6, not a port). */
function splitPort(text: string): { pattern: string; port?: number } {
  const match = /^([^:]+):(\d+)$/.exec(text);
  if (match === null) return { pattern: text };
  return { pattern: match[1] ?? text, port: Number(match[2]) };
}

function unquote(text: string): string {
  const match = /^(["'])(.*)\1$/.exec(text);
  return match === null ? text : (match[2] ?? '');
}

function withoutComment(line: string): string {
  return line.replace(/\s[#;].*$/, '').trim();
}
