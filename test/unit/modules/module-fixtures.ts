// Walks a fixture tree `<root>/<module>/<case>.yaml` for the fixture runners: one describe per
// module folder, one test per case, and failures for registered modules with no folder and for
// folders that name no module.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { AnyModule } from '../../../src/engine/module.js';
import { modules } from '../../../src/modules/index.js';

/**
 * `factless`: modules that read no facts (note), which have no fact fixtures to give.
 */
export function describeModuleFixtures(
  root: string,
  kind: string,
  runCase: (module: AnyModule, fixture: unknown, folder: string) => void,
  factless: readonly string[] = [],
): void {
  const folders = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

  test(`every module in the registry has ${kind} fixtures`, () => {
    const missing = [...modules.keys()].filter((name) => !factless.includes(name) && !existsSync(path.join(root, name))).sort();
    expect(missing, `modules without a folder in ${path.relative(process.cwd(), root)}/`).toEqual([]);
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
          runCase(module, parse(readFileSync(path.join(root, folder, file), 'utf8')), folder);
        });
      }
    });
  }
}
