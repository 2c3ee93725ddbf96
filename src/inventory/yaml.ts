// YAML text → plain JS value and its document (for positions), refusing everything the parser
// accepts but cannot turn into plain data safely: undefined or self-referencing aliases, alias
// bombs, map or list keys, unknown tags. E.g. readYaml('a: *x\n', 'inv.yaml') throws InputError
// `inv.yaml:1:4 (yaml): alias *x has no anchor &x before it`.
import { isAlias, isCollection, isNode, LineCounter, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import { InputError, type InputProblem } from '../errors.js';

/**
 * yaml's measure of alias expansion (uses of an anchor × the aliases inside it) allowed. Its
 * default, 100, would refuse 101 hosts each with `ssh: *defaults`; a "billion laughs" still
 * stops after about this many expansions, long before it costs time or memory.
 */
export const MAX_ALIAS_COUNT = 10_000;

export interface YamlSource {
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

export function readYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const at = (offset: number, message: string): InputProblem => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, field: '(yaml)', message };
  };
  const parserProblems = [...doc.errors, ...doc.warnings].map((error) => {
    const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    return { file, line: pos.line, column: pos.col, field: '(syntax)', message: parserMessage(error, text) };
  });
  if (parserProblems.length > 0) throw new InputError(parserProblems);

  const problems = structureProblems(doc).map((p) => at(p.offset, p.message));
  if (problems.length > 0) throw new InputError(problems);

  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // The only way left for toJS to fail: aliases that expand too much (a "billion laughs").
    if (!(error instanceof ReferenceError)) throw error;
    const firstAlias = firstAliasOffset(doc) ?? 0;
    throw new InputError([at(firstAlias, `aliases here expand to too much data (more than ${MAX_ALIAS_COUNT} expansions): write the values out`)]);
  }
}

function parserMessage(error: YAMLError, text: string): string {
  const first = (error.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '');
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      // The error points at the key's first character only.
      const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]+?)\s*:/.exec(text.slice(error.pos[0]))?.[1];
      return key === undefined ? 'duplicate key: a key may appear once in a map' : `duplicate key ${key}: a key may appear once in a map`;
    }
    case 'MULTIPLE_DOCS':
      return 'a second YAML document (after ---): an inventory is one document';
    case 'TAG_RESOLVE_FAILED':
      return `${first}: meshctl reads plain YAML values only (no custom tags such as !vault)`;
    default:
      return first;
  }
}

interface OffsetProblem {
  offset: number;
  message: string;
}

/** Undefined and circular aliases and non-scalar keys, found in one walk in document order. */
function structureProblems(doc: Document): OffsetProblem[] {
  const problems: OffsetProblem[] = [];
  // YAML resolves an alias to the last anchor of that name before it.
  const anchors = new Map<string, Node>();
  visit(doc, {
    Node(_key, node, path) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        const offset = node.range?.[0] ?? 0;
        if (target === undefined) problems.push({ offset, message: `alias *${node.source} has no anchor &${node.source} before it` });
        else if (path.includes(target)) problems.push({ offset, message: `alias *${node.source} is inside the value it refers to (a loop)` });
        return;
      }
      if (node.anchor !== undefined) anchors.set(node.anchor, node);
    },
    Pair(_key, pair) {
      if (isCollection(pair.key) || isAlias(pair.key)) {
        const offset = isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        problems.push({ offset, message: 'a key must be plain text, not a map, a list or an alias' });
      }
    },
  });
  return problems;
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}
