// Maps a path inside a parsed YAML document to file:line:column, so errors point at the field.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export type FieldPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

/** `hosts[1].ssh.port` from ['hosts', 1, 'ssh', 'port']. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Position of the node at `path`; with `keyOf`, the position of that key inside the map at
 * `path` (for unknown keys). Falls back to the nearest existing ancestor (for missing fields).
 */
export function locate(doc: Document, lines: LineCounter, path: FieldPath, keyOf?: string): Position {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [index, part] of path.entries()) {
    const child = childOf(doc, node, part);
    if (child === undefined) break;
    node = child.value;
    // A field's own position is its value's; an ancestor's is its key's (a missing field below it is reported there).
    offset = (index === path.length - 1 ? rangeStart(node) ?? child.keyOffset : child.keyOffset ?? rangeStart(node)) ?? offset;
  }
  if (keyOf !== undefined) {
    const child = childOf(doc, node, keyOf);
    if (child?.keyOffset !== undefined) offset = child.keyOffset;
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** The value at `part` of a map or list; an alias is followed to its anchor, where the value is written. */
function childOf(doc: Document, node: unknown, part: string | number): { value: unknown; keyOffset?: number } | undefined {
  const collection = isAlias(node) ? node.resolve(doc) : node;
  if (isMap(collection)) {
    for (const pair of collection.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(part)) {
        return { value: pair.value, keyOffset: rangeStart(pair.key) };
      }
    }
    return undefined;
  }
  if (isSeq(collection) && typeof part === 'number') {
    const item = collection.items[part];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range?.[0];
}
