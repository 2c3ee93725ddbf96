// Every module's fact parsers against real command output: facts/<module>/<case>.yaml holds
// `params`, the `fact` to read, what the command printed (`stdout`, `stderr`, `code`) and either
// the parsed value (`expect`) or a substring of the error (`error`). An optional `command` pins the
// exact command, quoting included.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { FactQuery } from '../../../src/engine/module.js';
import { modules } from '../../../src/modules/index.js';

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

const folders = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

// A module without fixtures shows as a todo in every run: visible, but it does not fail the
// suite while its fixtures are being written.
for (const name of [...modules.keys()].sort()) {
  if (!existsSync(path.join(root, name))) test.todo(`${name}: no fact fixtures in test/unit/modules/facts/${name}/`);
}

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
        const queries = module.facts(module.params.parse(fixture.params)) as Record<string, FactQuery<unknown> | undefined>;
        const query = queries[fixture.fact];
        expect(query, `module ${folder} has no fact '${fixture.fact}' for these params`).toBeDefined();
        if (query === undefined) return;
        if (fixture.command !== undefined) expect(query.command).toBe(fixture.command);
        const result = { stdout: fixture.stdout, stderr: fixture.stderr, code: fixture.code, signal: fixture.signal };
        if (fixture.error !== undefined) {
          expect(() => query.parse(result)).toThrow(fixture.error);
        } else {
          expect(query.parse(result)).toEqual(fixture.expect);
        }
      });
    }
  });
}
