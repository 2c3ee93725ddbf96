// Every module's fact parsers against real command output: facts/<module>/<case>.yaml holds
// `params`, the `fact` to read, what the command printed (`stdout`, `stderr`, `code`) and either
// the parsed value (`expect`, null standing for undefined) or a substring of the error (`error`).
// An optional `command` pins the exact command, quoting included.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { FactParseError, type FactQuery } from '../../../src/engine/module.js';
import { describeModuleFixtures } from './module-fixtures.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'facts');

const fixtureSchema = z
  .strictObject({
    params: z.record(z.string(), z.unknown()).default({}),
    fact: z.string().min(1),
    command: z.string().optional(),
    stdout: z.string().default(''),
    stderr: z.string().default(''),
    code: z.number().int().nullable(),
    signal: z.string().nullable().default(null),
    expect: z.unknown().optional(),
    error: z.string().min(1).optional(),
  })
  .refine((f) => (f.expect === undefined) !== (f.error === undefined), { message: 'give exactly one of expect, error' });

describeModuleFixtures(root, 'fact', (module, raw, folder) => {
  const fixture = fixtureSchema.parse(raw);
  const queries = module.facts(module.params.parse(fixture.params)) as Record<string, FactQuery<unknown> | undefined>;
  const query = queries[fixture.fact];
  expect(query, `module ${folder} has no fact '${fixture.fact}' for these params`).toBeDefined();
  if (query === undefined) return;
  if (fixture.command !== undefined) expect(query.command).toBe(fixture.command);
  const result = { stdout: fixture.stdout, stderr: fixture.stderr, code: fixture.code, signal: fixture.signal };
  if (fixture.error !== undefined) {
    // Anything but a FactParseError would be reported as a bug in meshctl, not as the task's failure.
    expect(() => query.parse(result)).toThrow(FactParseError);
    expect(() => query.parse(result)).toThrow(fixture.error);
  } else {
    // YAML has no undefined: a fact read as undefined (no such bridge) is `expect: null`.
    expect(query.parse(result) ?? null).toEqual(fixture.expect);
  }
});
