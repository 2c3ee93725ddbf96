// Every module's plan against fixture files, pyinfra-style: fixtures/<module>/<case>.yaml holds
// `params` (as a playbook writes them), `facts` and what the plan must say: `steps` (exactly),
// `noop` (a substring of the reason) or `error` (a substring of what is thrown, by the params
// schema or, as a Refusal, by the plan). An optional `reason` checks the reason of a change, an
// optional `notice` whether the plan sends its reason to the recap's NOTES.
//
// Facts are not retyped from what a parser would make of a host's output:
// - `fact: { from: facts/<module>/<case>.yaml }` is that fact fixture's output through the
//   module's real parser; the fixture must record the same fact, read with the very command this
//   task would run (so `check` output cannot stand in for `remains` output, nor one path's file
//   for another's);
// - a literal value must have the shape of what the parser made of some fact fixture of that
//   fact: every field, at every depth, with the same type (so a renamed or retyped fact field
//   fails here instead of leaving stale fixtures that still pass).
// Generated texts (scripts) are named, not pasted: see generated-texts.ts.
//
// A put's `before` (the file it replaces, for `plan`'s diffs) is checked like the rest: null (no
// such file), a literal text, or `{ fact: NAME }` for the text of the file fact NAME as the plan
// got it (null when that fact says the file is missing). A put without `before` in the fixture
// must not carry one.
import path from 'node:path';
import { expect } from 'vitest';
import { z } from 'zod';
import { Refusal, type AnyModule, type Plan, type Step } from '../../../src/engine/module.js';
import { withGeneratedTexts } from './generated-texts.js';
import { describeModuleFixtures } from './module-fixtures.js';
import { factQuery, fixturesHome, recordedFact, recordedFacts } from './recorded-facts.js';

const root = path.join(fixturesHome, 'fixtures');

const fixtureStep = z.union([
  z.strictObject({ run: z.string() }),
  z.strictObject({
    put: z.strictObject({
      path: z.string(),
      mode: z.number().int(),
      content: z.string(),
      before: z.union([z.string(), z.null(), z.strictObject({ fact: z.string() })]).optional(),
    }),
  }),
  z.strictObject({ upload: z.strictObject({ source: z.string(), path: z.string(), size: z.number().int(), mode: z.number().int() }) }),
]);

const fileFactShape = z.union([z.object({ exists: z.literal(false) }), z.object({ exists: z.literal(true), text: z.string() })]);

const fixtureSchema = z
  .strictObject({
    params: z.record(z.string(), z.unknown()).default({}),
    facts: z.record(z.string(), z.unknown()).default({}),
    steps: z.array(z.unknown()).min(1).optional(),
    noop: z.string().min(1).optional(),
    error: z.string().min(1).optional(),
    reason: z.string().min(1).optional(),
    // Whether the reason goes to the recap's NOTES; unchecked when left out.
    notice: z.boolean().optional(),
  })
  .refine((f) => [f.steps, f.noop, f.error].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of steps, noop, error',
  });

const factFrom = z.strictObject({ from: z.string().regex(/^facts\/[^/]+\/[^/]+\.yaml$/, 'must be facts/<module>/<case>.yaml') });

type FixtureStep = z.output<typeof fixtureStep>;

function asFixtureStep(step: Step): FixtureStep {
  if (step.kind === 'run') return { run: step.script };
  if (step.kind === 'upload') return { upload: { source: step.source, path: step.path, size: step.size, mode: step.mode } };
  const put = { path: step.path, mode: step.mode, content: step.content };
  return { put: step.before === undefined ? put : { ...put, before: step.before } };
}

/** The fixture's steps with each `before: { fact: NAME }` replaced by that fact's text. */
function resolveBefore(steps: FixtureStep[], facts: Record<string, unknown>): FixtureStep[] {
  return steps.map((step) => {
    if (!('put' in step)) return step;
    const before = step.put.before;
    if (before === undefined || before === null || typeof before === 'string') return step;
    if (!(before.fact in facts)) throw new Error(`before: { fact: ${before.fact} }: the fixture gives no such fact`);
    const file = fileFactShape.parse(facts[before.fact]);
    return { put: { ...step.put, before: file.exists ? file.text : null } };
  });
}

/** The facts the plan gets: each taken from its fact fixture, or the literal once checked. */
function factsOf(module: AnyModule, params: unknown, facts: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(facts).map(([fact, given]) => {
      const query = factQuery(module, params, fact);
      if (query === undefined) throw new Error(`module ${module.name} reads no fact '${fact}' for these params`);
      const source = factFrom.safeParse(given);
      if (source.success) return [fact, fromFixture(module, fact, query.command, source.data.from)];
      const value = withGeneratedTexts(given, module.name, params);
      expectParserShape(module, fact, value);
      return [fact, value];
    }),
  );
}

function fromFixture(module: AnyModule, fact: string, command: string, file: string): unknown {
  expect(file.split('/')[1], `${file}: a fact fixture of another module`).toBe(module.name);
  const recorded = recordedFact(module, file);
  expect(recorded.fact, `${file} records another fact`).toBe(fact);
  expect(recorded.command, `${file} was read with another command than this task's ${fact} (other params?)`).toBe(command);
  return recorded.value;
}

/** `.field[].other: type` for every value inside `value`. */
function typedPaths(value: unknown, at = '', into = new Set<string>()): Set<string> {
  if (value === undefined || value === null) {
    into.add(`${at}: ${String(value)}`);
  } else if (Array.isArray(value)) {
    into.add(`${at}: array`);
    for (const item of value) typedPaths(item, `${at}[]`, into);
  } else if (typeof value === 'object') {
    into.add(`${at}: object`);
    for (const [key, item] of Object.entries(value)) typedPaths(item, `${at}.${key}`, into);
  } else {
    into.add(`${at}: ${typeof value}`);
  }
  return into;
}

function expectParserShape(module: AnyModule, fact: string, value: unknown): void {
  const recorded = recordedFacts(module).filter((r) => r.fact === fact);
  const produced = new Set(recorded.flatMap((r) => [...typedPaths(r.value)]));
  const unproduced = [...typedPaths(value)].filter((p) => !produced.has(p));
  expect(
    unproduced,
    `fact '${fact}' has parts no fact fixture in facts/${module.name}/ parses to: record such output there (then take it with from:)`,
  ).toEqual([]);
}

function planOf(module: AnyModule, params: unknown, facts: Record<string, unknown>): Plan {
  return module.plan(module.params.parse(params), facts);
}

describeModuleFixtures(root, 'plan', (module, raw) => {
  const fixture = fixtureSchema.parse(raw);
  // Params the schema refuses (an `error` fixture) come with no facts to check.
  const facts = module.params.safeParse(fixture.params).success ? factsOf(module, fixture.params, fixture.facts) : {};
  if (fixture.error !== undefined) {
    const params = module.params.safeParse(fixture.params);
    if (!params.success) {
      expect(params.error.message).toContain(fixture.error);
      return;
    }
    // Anything else a plan throws would be reported as a bug in meshctl, not as the task's failure.
    expect(() => planOf(module, fixture.params, facts)).toThrow(Refusal);
    expect(() => planOf(module, fixture.params, facts)).toThrow(fixture.error);
    return;
  }
  const plan = planOf(module, fixture.params, facts);
  if (fixture.notice !== undefined) expect(plan.notice === true, `notice: ${plan.reason}`).toBe(fixture.notice);
  if (fixture.noop !== undefined) {
    expect(plan, 'expected no change').toMatchObject({ changed: false });
    expect(plan.reason).toContain(fixture.noop);
    return;
  }
  const steps = resolveBefore(z.array(fixtureStep).parse(withGeneratedTexts(fixture.steps, module.name, fixture.params)), facts);
  expect(plan.changed, `expected a change, got: ${plan.reason}`).toBe(true);
  if (plan.changed) expect(plan.steps.map(asFixtureStep)).toEqual(steps);
  if (fixture.reason !== undefined) expect(plan.reason).toContain(fixture.reason);
});
