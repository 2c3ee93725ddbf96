// Every module's fact parsers against real command output: facts/<module>/<case>.yaml holds
// `params`, the `fact` to read, what the command printed (`stdout`, `stderr`, `code`) and either
// the parsed value (`expect`, null standing for undefined) or a substring of the error (`error`).
// An optional `command` pins the exact command, quoting included.
import { expect } from 'vitest';
import { FactParseError } from '../../../src/engine/module.js';
import { describeModuleFixtures } from './module-fixtures.js';
import { factFixtureSchema, factQuery, factsRoot, resultOf } from './recorded-facts.js';

describeModuleFixtures(factsRoot, 'fact', (module, raw, folder) => {
  const fixture = factFixtureSchema.parse(raw);
  const query = factQuery(module, fixture.params, fixture.fact);
  expect(query, `module ${folder} has no fact '${fixture.fact}' for these params`).toBeDefined();
  if (query === undefined) return;
  if (fixture.command !== undefined) expect(query.command).toBe(fixture.command);
  const result = resultOf(fixture);
  if (fixture.error !== undefined) {
    // Anything but a FactParseError would be reported as a bug in meshctl, not as the task's failure.
    expect(() => query.parse(result)).toThrow(FactParseError);
    expect(() => query.parse(result)).toThrow(fixture.error);
  } else {
    // YAML has no undefined: a fact read as undefined (no such bridge) is `expect: null`.
    expect(query.parse(result) ?? null).toEqual(fixture.expect);
  }
}, ['note']);
