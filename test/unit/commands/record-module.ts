// The one module the command tests' playbook uses, over a FakeHost's store: `key` should hold
// `value` (any text: the step quotes it), and a host whose `fail` is not empty fails its step.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, run } from '../../../src/engine/module.js';
import { shellJoin } from '../../../src/transport/quote.js';

const params = z.strictObject({ key: z.string(), value: z.string(), fail: z.string() });

export const recordModule = defineModule<z.output<typeof params>, { value: string }>({
  name: 'record',
  params,
  facts: (p) => ({
    value: {
      command: shellJoin(['kv', 'get', p.key]),
      parse: (result) => {
        if (result.code !== 0) throw new FactParseError(`kv get failed (exit ${result.code})`);
        return result.stdout.replace(/\n$/, '');
      },
    },
  }),
  plan(p, facts) {
    if (facts.value === p.value) return ok(`${p.key} is set`);
    const step = p.fail === '' ? shellJoin(['kv', 'set', p.key, p.value]) : shellJoin(['fail', '1', p.fail]);
    return change(`set ${p.key}`, [run(step)]);
  },
});
