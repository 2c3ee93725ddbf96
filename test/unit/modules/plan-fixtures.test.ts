// Every module's plan against fixture files, pyinfra-style: fixtures/<module>/<case>.yaml holds
// `params` (as a playbook writes them), `facts` (parsed values) and what the plan must say:
// `steps` (exactly), `noop` (a substring of the reason) or `error` (a substring of what is thrown,
// by the params schema or, as a Refusal, by the plan). An optional `reason` checks the reason of
// a change.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { Refusal, type AnyModule, type Plan, type Step } from '../../../src/engine/module.js';
import { describeModuleFixtures } from './module-fixtures.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const fixtureStep = z.union([
  z.strictObject({ run: z.string() }),
  z.strictObject({ put: z.strictObject({ path: z.string(), mode: z.number().int(), content: z.string() }) }),
]);

const fixtureSchema = z
  .strictObject({
    params: z.record(z.string(), z.unknown()).default({}),
    facts: z.record(z.string(), z.unknown()).default({}),
    steps: z.array(fixtureStep).min(1).optional(),
    noop: z.string().min(1).optional(),
    error: z.string().min(1).optional(),
    reason: z.string().min(1).optional(),
  })
  .refine((f) => [f.steps, f.noop, f.error].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of steps, noop, error',
  });

type FixtureStep = z.output<typeof fixtureStep>;

function asFixtureStep(step: Step): FixtureStep {
  return step.kind === 'run' ? { run: step.script } : { put: { path: step.path, mode: step.mode, content: step.content } };
}

function planOf(module: AnyModule, params: unknown, facts: unknown): Plan {
  return module.plan(module.params.parse(params), facts);
}

describeModuleFixtures(root, 'plan', (module, raw) => {
  const fixture = fixtureSchema.parse(raw);
  if (fixture.error !== undefined) {
    const params = module.params.safeParse(fixture.params);
    if (!params.success) {
      expect(params.error.message).toContain(fixture.error);
      return;
    }
    // Anything else a plan throws would be reported as a bug in meshctl, not as the task's failure.
    expect(() => module.plan(params.data, fixture.facts)).toThrow(Refusal);
    expect(() => module.plan(params.data, fixture.facts)).toThrow(fixture.error);
    return;
  }
  const plan = planOf(module, fixture.params, fixture.facts);
  if (fixture.noop !== undefined) {
    expect(plan, 'expected no change').toMatchObject({ changed: false });
    expect(plan.reason).toContain(fixture.noop);
    return;
  }
  expect(plan.changed, `expected a change, got: ${plan.reason}`).toBe(true);
  if (plan.changed) expect(plan.steps.map(asFixtureStep)).toEqual(fixture.steps);
  if (fixture.reason !== undefined) expect(plan.reason).toContain(fixture.reason);
});
