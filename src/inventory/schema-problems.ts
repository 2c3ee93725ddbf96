// zod issues → inventory problems that show the value given and suggest the key or value meant,
// e.g. `mesh.slice_prefix: expected a number, got "eighteen"` or
// `hosts[0].underlay_adress: unknown key (did you mean underlay_address?)`.
import { z } from 'zod';
import type { InputProblem } from '../errors.js';
import type { FieldPath } from './locate.js';
import { closest, didYouMean } from './suggest.js';

type ProblemAt = (fieldPath: FieldPath, message: string, keyOf?: string) => InputProblem;

/**
 * Messages for zod's own checks (a schema's explicit messages win over these), without the
 * value: schemaProblems adds it.
 */
export const schemaMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeName(issue.expected)}`;
    case 'too_small':
      return sizeMessage('at least', 'more than', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage('at most', 'less than', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${String(issue.values[0])}` : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
};

function typeName(expected: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'text',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map',
    record: 'a map',
  };
  return names[expected] ?? expected;
}

function sizeMessage(inclusiveWord: string, exclusiveWord: string, origin: string, limit: number | bigint, inclusive: boolean | undefined): string {
  const bound = inclusive === false ? exclusiveWord : inclusiveWord;
  if (origin === 'string') return Number(limit) === 1 && bound === 'at least' ? 'must not be empty' : `must be ${bound} ${limit} characters long`;
  if (origin === 'array') return `must have ${bound} ${limit} item${Number(limit) === 1 ? '' : 's'}`;
  return `must be ${bound} ${limit}`;
}

/**
 * The problems of a failed parse of `value` (the whole document) by `schema`, which is needed
 * to compare an unknown key with the keys allowed at its place.
 */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], problemAt: ProblemAt, schema: z.ZodType, value: unknown): InputProblem[] {
  // A misspelt key leaves the key it stands for missing: one problem, at the misspelling.
  const misspelt = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    for (const key of issue.keys) {
      const meant = keySuggestion(key, schema, pathOf(issue), value).meant;
      if (meant !== undefined) misspelt.add(JSON.stringify([...pathOf(issue), meant]));
    }
  }
  const required = (issue: z.core.$ZodIssue): boolean => issue.code === 'invalid_type' && inputOf(issue) === undefined;
  return issues
    .filter((issue) => !(required(issue) && misspelt.has(JSON.stringify(pathOf(issue)))))
    .flatMap((issue) => issueProblems(issue, problemAt, schema, value));
}

function pathOf(issue: z.core.$ZodIssue): FieldPath {
  return issue.path.filter((p): p is string | number => typeof p !== 'symbol');
}

/** The value zod was given (`reportInput: true`); undefined for a missing field. */
function inputOf(issue: z.core.$ZodIssue): unknown {
  return (issue as { input?: unknown }).input;
}

function issueProblems(issue: z.core.$ZodIssue, problemAt: ProblemAt, schema: z.ZodType, value: unknown): InputProblem[] {
  const fieldPath = pathOf(issue);
  const input = inputOf(issue);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => problemAt(fieldPath, `unknown key${keySuggestion(key, schema, fieldPath, value).hint}`, key));
    case 'invalid_union':
      if (issue.discriminator !== undefined) return [problemAt(fieldPath, discriminatorMessage(issue, input))];
      break;
    case 'invalid_type':
      if (input === undefined) return [problemAt(fieldPath, 'is required')];
      return [problemAt(fieldPath, `${issue.message}, got ${describeValue(input)}${typeHint(issue.expected, input)}`)];
    case 'invalid_value': {
      const suggestion = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      return [problemAt(fieldPath, `${issue.message}, got ${describeValue(input)}${suggestion}`)];
    }
    case 'invalid_format':
    case 'not_multiple_of':
      return [problemAt(fieldPath, `${issue.message}, got ${describeValue(input)}`)];
    case 'too_small':
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return [problemAt(fieldPath, `${issue.message}, got ${describeValue(input)}`)];
      break;
  }
  return [problemAt(fieldPath, issue.message)];
}

/** How a value reads in a message: text quoted, numbers as they are, collections by kind. */
function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

function typeHint(expected: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  if (expected === 'boolean' && /^(yes|no|y|n|on|off)$/i.test(input)) return ' (YAML 1.2 reads yes/no/on/off as text)';
  if ((expected === 'number' || expected === 'int') && input.trim() !== '' && Number.isFinite(Number(input))) return ' (a number in quotes is text)';
  return '';
}

function discriminatorMessage(issue: z.core.$ZodIssueInvalidUnion, input: unknown): string {
  const discriminator = issue.discriminator ?? '';
  // zod lists the allowed values on the issue, though its type does not say so.
  const options = ((issue as { options?: readonly unknown[] }).options ?? []).map(String);
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[discriminator] : undefined;
  if (given === undefined) return `is required: one of ${options.join(', ')}`;
  const suggestion = typeof given === 'string' ? didYouMean(given, options) : '';
  return `unknown ${discriminator} ${describeValue(given)}: use one of ${options.join(', ')}${suggestion}`;
}

interface KeySuggestion {
  /** The allowed key at the same place that `key` is a misspelling of. */
  meant?: string;
  /** What to add to "unknown key": ' (did you mean X?)' or a hint; '' when nothing fits. */
  hint: string;
}

function keySuggestion(key: string, schema: z.ZodType, path: FieldPath, value: unknown): KeySuggestion {
  if (key === '<<') return { hint: ' (YAML merge keys are not supported: repeat the values, or put shared settings in a group)' };
  const node = schemaAt(schema, path, value);
  const shape = shapeOf(node, valueAt(value, path));
  if (shape === undefined) return { hint: '' };
  const known = Object.keys(shape);
  const meant = closest(key, known);
  if (meant !== undefined) return { meant, hint: ` (did you mean ${meant}?)` };
  // A key of a section written one level too high: `port:` on a host means `ssh.port`.
  const nested = known.filter((section) => Object.keys(shapeOf(shape[section], undefined) ?? {}).includes(key));
  if (nested.length > 0) return { hint: ` (did you mean ${nested.map((section) => `${section}.${key}`).join(' or ')}?)` };
  // Another option's key (`vxlan:` with backend ovs-gre) belongs to that option.
  const inner = unwrap(node);
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const discriminator = inner._zod.def.discriminator;
    const owners = (inner.options as z.ZodType[])
      .map((option) => shapeOf(option, undefined))
      .filter((option): option is Shape => option !== undefined && key in option)
      .flatMap((option) => literalValues(option[discriminator]));
    if (owners.length > 0) return { hint: ` (a setting of ${discriminator} ${owners.join(', ')})` };
  }
  return { hint: '' };
}

function literalValues(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodLiteral ? [...schema.values].map(String) : [];
}

type Shape = Record<string, z.ZodType>;

/** The schema of the value at `path`, following `value` to choose between a union's options. */
function schemaAt(schema: z.ZodType, path: FieldPath, value: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  let data = value;
  for (const part of path) {
    current = childSchema(current, part, data);
    data = valueAt(data, [part]);
    if (current === undefined) return undefined;
  }
  return current;
}

function valueAt(value: unknown, path: FieldPath): unknown {
  let data = value;
  for (const part of path) data = data !== null && typeof data === 'object' ? (data as Record<string | number, unknown>)[part] : undefined;
  return data;
}

function childSchema(schema: z.ZodType | undefined, part: string | number, data: unknown): z.ZodType | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray) return inner.element as z.ZodType;
  if (inner instanceof z.ZodRecord) return inner.valueType as z.ZodType;
  return shapeOf(inner, data)?.[String(part)];
}

function shapeOf(schema: z.ZodType | undefined, data: unknown): Shape | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return inner.shape as Shape;
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const discriminator = inner._zod.def.discriminator;
    const given = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[discriminator] : undefined;
    const option = (inner.options as z.ZodType[]).find((candidate) => {
      const literal = shapeOf(candidate, undefined)?.[discriminator];
      return literal instanceof z.ZodLiteral && literal.values.has(given as never);
    });
    return option === undefined ? undefined : shapeOf(option, data);
  }
  return undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}
