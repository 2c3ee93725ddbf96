// Fact fixtures (facts/<module>/<case>.yaml: what a fact's command printed on a host) read once and
// parsed by the module's real parser, for the fact runner and for plan fixtures that take their
// facts from them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import type { AnyModule, FactQuery } from '../../../src/engine/module.js';
import type { ExecResult } from '../../../src/transport/connection.js';

/** test/unit/modules/: where `from:` paths in plan fixtures start. */
export const fixturesHome = path.dirname(fileURLToPath(import.meta.url));
export const factsRoot = path.join(fixturesHome, 'facts');

export const factFixtureSchema = z
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
export type FactFixture = z.output<typeof factFixtureSchema>;

export function resultOf(fixture: FactFixture): ExecResult {
  return { stdout: fixture.stdout, stderr: fixture.stderr, code: fixture.code, signal: fixture.signal };
}

/** The module's query for a fact under the given (unparsed) params, or undefined if it reads no such fact. */
export function factQuery(module: AnyModule, params: unknown, fact: string): FactQuery<unknown> | undefined {
  const queries = module.facts(module.params.parse(params)) as Record<string, FactQuery<unknown> | undefined>;
  return queries[fact];
}

export interface RecordedFact {
  /** Relative to test/unit/modules/, as plan fixtures name it: `facts/<module>/<case>.yaml`. */
  file: string;
  fact: string;
  /** The command the fact runs under the fixture's params (which the output answers). */
  command: string;
  /** What the real parser made of the output. */
  value: unknown;
}

export function readFactFixture(file: string): FactFixture {
  return factFixtureSchema.parse(parse(readFileSync(path.join(fixturesHome, file), 'utf8')));
}

/** A fact fixture's output through the module's parser; throws if the parser refuses it. */
export function recordedFact(module: AnyModule, file: string): RecordedFact {
  const fixture = readFactFixture(file);
  const query = factQuery(module, fixture.params, fixture.fact);
  if (query === undefined) throw new Error(`${file}: module ${module.name} has no fact '${fixture.fact}' for these params`);
  return { file, fact: fixture.fact, command: query.command, value: query.parse(resultOf(fixture)) };
}

const byModule = new Map<string, RecordedFact[]>();

/** Every fact fixture of a module that parses (not those that record a parser's error). */
export function recordedFacts(module: AnyModule): RecordedFact[] {
  let recorded = byModule.get(module.name);
  if (recorded === undefined) {
    const folder = path.join(factsRoot, module.name);
    recorded = readdirSync(folder)
      .filter((name) => name.endsWith('.yaml'))
      .sort()
      .map((name) => path.relative(fixturesHome, path.join(folder, name)))
      .filter((file) => readFactFixture(file).error === undefined)
      .map((file) => recordedFact(module, file));
    byModule.set(module.name, recorded);
  }
  return recorded;
}
