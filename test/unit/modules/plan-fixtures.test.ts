// Every module's plan against fixture files, pyinfra-style: fixtures/<module>/<case>.yaml holds
// `params` (as a playbook writes them), `facts` (parsed values) and what the plan must say:
// `steps` (exactly), `noop` (a substring of the reason) or `error` (a substring of what is thrown,
// by the params schema or by the plan). An optional `reason` checks the reason of a change.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { AnyModule, Plan, Step } from '../../../src/engine/module.js';
import { modules } from '../../../src/modules/index.js';

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

const folders = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

test('every module in the registry has plan fixtures', () => {
  const missing = [...modules.keys()].filter((name) => !existsSync(path.join(root, name))).sort();
  expect(missing, 'modules without a folder in test/unit/modules/fixtures/').toEqual([]);
});

for (const folder of folders.sort()) {
  describe(folder, () => {
    const files = readdirSync(path.join(root, folder)).filter((file) => file.endsWith('.yaml')).sort();

    test('is the name of a module in the registry and has fixtures', () => {
      expect(modules.has(folder), `no module named '${folder}' in src/modules/index.ts`).toBe(true);
      expect(files.length).toBeGreaterThan(0);
    });

    const module = modules.get(folder);
    if (module === undefined) return;
    for (const file of files) {
      test(file.replace(/\.yaml$/, ''), () => {
        const fixture = fixtureSchema.parse(parse(readFileSync(path.join(root, folder, file), 'utf8')));
        if (fixture.error !== undefined) {
          expect(() => planOf(module, fixture.params, fixture.facts)).toThrow(fixture.error);
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
    }
  });
}
