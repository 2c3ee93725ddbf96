// What a parser refuses an input with, one `line:column field: message` line per problem ([] when
// it accepts it), for the inventory tests to compare: refusedWith(() => parseInventory(text, 'inv.yaml')).
import { InputError } from '../../../src/errors.js';

export function refusedWith(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
    throw error;
  }
  return [];
}
