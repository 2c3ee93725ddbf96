// Applies `--set KEY=VALUE` overrides to inventory YAML text, keeping its comments.
// Example: applySets(text, ['mesh.mtu=1400', 'hosts.0.vars.role=edge']).
import { isMap, isScalar, isSeq, parse, parseDocument, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { UsageError } from '../errors.js';

type PathKey = string | number;

export function applySets(yamlText: string, sets: readonly string[]): string {
  if (sets.length === 0) return yamlText;
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) throw new UsageError(`cannot apply --set: the YAML is invalid: ${doc.errors[0]?.message}`);
  for (const set of sets) {
    const { path, value } = parseSet(set);
    preparePath(doc, path, set);
    try {
      doc.setIn(path, value);
    } catch (err) {
      throw new UsageError(`--set ${set}: ${(err as Error).message}`);
    }
  }
  return doc.toString();
}

const keyPattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** `mesh.mtu=1400` → { path: ['mesh', 'mtu'], value: 1400 } */
export function parseSet(set: string): { path: PathKey[]; value: unknown } {
  const eq = set.indexOf('=');
  const key = eq < 0 ? '' : set.slice(0, eq);
  if (!keyPattern.test(key)) {
    throw new UsageError(`--set "${set}" is malformed: write KEY=VALUE with a dotted KEY, e.g. mesh.mtu=1400 or hosts.0.name=web1`);
  }
  const path = key.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return { path, value: parseValue(set.slice(eq + 1), set) };
}

/** A YAML scalar (1400 → number, true → boolean) or a flow collection ([a, b]); anything else stays text. */
function parseValue(text: string, set: string): unknown {
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    throw new UsageError(`--set "${set}": the value is not valid YAML; quote it for the shell, e.g. --set 'key="${text}"'`);
  }
  const isFlow = /^\s*[[{]/.test(text);
  if (value !== null && typeof value === 'object' && !isFlow) return text;
  return value;
}

/**
 * Walks the path before `setIn`: refuses list indexes past the end (setIn would leave holes) and
 * turns an empty key (`vars:`) into a collection so that `hosts.0.vars.x=y` can fill it.
 */
function preparePath(doc: Document, path: readonly PathKey[], set: string): void {
  for (let i = 1; i < path.length; i++) {
    const prefix = path.slice(0, i);
    const key = path[i];
    const node: unknown = doc.getIn(prefix, true);
    if (node === undefined) return;
    if (isScalar(node) && node.value === null) {
      doc.setIn(prefix, typeof key === 'number' ? new YAMLSeq() : new YAMLMap());
      return;
    }
    if (isSeq(node)) {
      if (typeof key !== 'number') {
        throw new UsageError(`--set ${set}: ${prefix.join('.')} is a list: use a numeric index, not "${key}"`);
      }
      if (key > node.items.length) {
        throw new UsageError(`--set ${set}: ${prefix.join('.')} has ${node.items.length} items: index ${key} is past the end`);
      }
    } else if (!isMap(node)) {
      throw new UsageError(`--set ${set}: ${prefix.join('.')} holds a plain value, not a map or a list`);
    }
  }
}

/** `--set` keys that steer `sandbox up` itself and are never written into the inventory. */
export interface SandboxDirectives {
  /** How many hosts (the first ones) form the store's group `kv`. */
  kvNodes?: number;
}

/**
 * Takes the directives out of the `--set` list: `kv.nodes=N` (N odd, at most `hosts`) chooses
 * how many hosts run the store. The other sets are returned in order, for applySets.
 */
export function takeDirectives(sets: readonly string[], hosts: number): { directives: SandboxDirectives; sets: string[] } {
  const directives: SandboxDirectives = {};
  const rest: string[] = [];
  for (const set of sets) {
    const { path, value } = parseSet(set);
    if (path.join('.') !== 'kv.nodes') {
      rest.push(set);
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value % 2 === 0 || value > hosts) {
      throw new UsageError(
        `--set ${set}: the store needs an odd number of nodes (1, 3, 5 ...) for a clean quorum, at most the ${hosts} host(s) of the sandbox`,
      );
    }
    directives.kvNodes = value;
  }
  return { directives, sets: rest };
}
