// Ansible-style values in playbooks: `{{ mesh.mtu }}` is looked up in the host's variables.
// A string that is exactly one `{{ path }}` takes the looked-up value as it is (list, number,
// object); anywhere else in a string the value is pasted in as text.

export type Vars = Record<string, unknown>;

export class TemplateError extends Error {}

const WHOLE = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/;
const PART = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;

export function lookup(vars: Vars, dottedPath: string): unknown {
  let value: unknown = vars;
  for (const part of dottedPath.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) {
      throw new TemplateError(`undefined variable '${dottedPath}'`);
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The variable a string is exactly one `{{ path }}` of (so it takes the value whole), if it is. */
export function wholeVariable(text: string): string | undefined {
  return WHOLE.exec(text)?.[1];
}

export function render(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole?.[1] !== undefined) return lookup(vars, whole[1]);
    return value.replace(PART, (_, name: string) => {
      const found = lookup(vars, name);
      return typeof found === 'object' ? JSON.stringify(found) : String(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => render(item, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, render(item, vars)]));
  }
  return value;
}

/**
 * `when:` conditions: `path`, `not path`, `path == value`, `path != value`, and several of
 * those joined by `and`. Values compare as text, so `mesh.ovs.datapath == netdev` reads as it
 * would in Ansible.
 */
export function evaluateCondition(condition: string, vars: Vars): boolean {
  const parts = condition.split(/\s+and\s+/);
  if (parts.length > 1) return parts.every((part) => evaluateOne(part, vars));
  return evaluateOne(condition, vars);
}

function evaluateOne(condition: string, vars: Vars): boolean {
  const comparison = /^\s*([A-Za-z_][\w.]*)\s*(==|!=)\s*(.+?)\s*$/.exec(condition);
  if (comparison) {
    const [, left = '', operator, right = ''] = comparison;
    const equal = String(lookup(vars, left)) === right.replace(/^(['"])(.*)\1$/, '$2');
    return operator === '==' ? equal : !equal;
  }
  const negated = /^\s*not\s+([A-Za-z_][\w.]*)\s*$/.exec(condition);
  if (negated?.[1] !== undefined) return !truthy(lookup(vars, negated[1]));
  const plain = /^\s*([A-Za-z_][\w.]*)\s*$/.exec(condition);
  if (plain?.[1] !== undefined) return truthy(lookup(vars, plain[1]));
  throw new TemplateError(`cannot read condition '${condition}': use 'path', 'not path', 'path == value' or 'path != value', joined by 'and'`);
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value) && value !== 'false';
}
