// A fake host behind the Connection interface, for engine tests: a key-value store driven by a
// three-word shell language, and a log of every call the engine made.
//   kv get KEY        prints the value (nothing when unset)
//   kv set KEY VALUE  sets it
//   fail CODE TEXT    prints TEXT on stderr and exits CODE (stops the script, as `set -e` does)
// `set -e` lines are accepted and ignored; any other line is a test mistake and throws.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, type Step } from '../../../src/engine/module.js';
import type { PreparedTask } from '../../../src/engine/prepare.js';
import type { Connection, ExecResult } from '../../../src/transport/connection.js';

export type Call = { kind: 'script'; script: string } | { kind: 'put'; path: string; content: string; mode: number | undefined };

export class FakeHost implements Connection {
  readonly calls: Call[] = [];
  readonly store = new Map<string, string>();
  closed = false;

  constructor(readonly host: string, initial: Record<string, string> = {}) {
    for (const [key, value] of Object.entries(initial)) this.store.set(key, value);
  }

  /** The scripts run after the facts were read: everything but `kv get`-only scripts. */
  get changes(): Call[] {
    return this.calls.filter((call) => call.kind === 'put' || !/^kv get \S+$/.test(call.script));
  }

  async exec(argv: readonly string[]): Promise<ExecResult> {
    return this.execScript(argv.join(' '));
  }

  async execScript(script: string): Promise<ExecResult> {
    this.calls.push({ kind: 'script', script });
    let stdout = '';
    for (const line of script.split('\n')) {
      const words = line.trim().split(' ');
      if (line.trim() === 'set -e') continue;
      if (words[0] === 'kv' && words[1] === 'get' && words.length === 3) {
        stdout += `${this.store.get(words[2] ?? '') ?? ''}\n`;
      } else if (words[0] === 'kv' && words[1] === 'set' && words.length === 4) {
        this.store.set(words[2] ?? '', words[3] ?? '');
      } else if (words[0] === 'fail') {
        return { stdout, stderr: words.slice(2).join(' ').replaceAll('\\n', '\n'), code: Number(words[1]), signal: null };
      } else {
        throw new Error(`FakeHost ${this.host}: unknown line ${JSON.stringify(line)}`);
      }
    }
    return { stdout, stderr: '', code: 0, signal: null };
  }

  async putFile(remotePath: string, content: string | Buffer, options: { mode?: number } = {}): Promise<void> {
    this.calls.push({ kind: 'put', path: remotePath, content: String(content), mode: options.mode });
    this.store.set(remotePath, String(content));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

// A module over the fake host's store: `key` should hold `value`. Its plan runs the steps it is
// given (default: `kv set`), so a test can make a step that never converges or that fails.
const kvParams = z.strictObject({
  key: z.string(),
  value: z.string(),
  steps: z.array(z.union([z.string(), z.strictObject({ put: z.string(), content: z.string() })])).optional(),
  refuse: z.string().optional(),
});
type KvParams = z.output<typeof kvParams>;

export const kvModule = defineModule<KvParams, { value: string }>({
  name: 'kv',
  params: kvParams,
  facts: (p) => ({
    value: {
      command: `kv get ${p.key}`,
      parse: (result) => {
        if (result.code !== 0) throw new FactParseError(`kv get failed (exit ${result.code})`);
        return result.stdout.trim();
      },
    },
  }),
  plan(p, facts) {
    if (p.refuse !== undefined) refuse(p.refuse);
    if (facts.value === p.value) return ok(`${p.key} is ${p.value}`);
    const steps: Step[] = (p.steps ?? [`kv set ${p.key} ${p.value}`]).map((step) =>
      typeof step === 'string' ? run(step) : put(step.put, step.content, 0o600),
    );
    return change(`set ${p.key} to ${p.value} (was '${facts.value}')`, steps);
  },
});

export function kvTask(name: string, params: z.input<typeof kvParams>): PreparedTask {
  return { name, module: kvModule, params: kvModule.params.parse(params) };
}

/** A task whose module has a bug: its plan dereferences a fact that is not there. */
export function buggyTask(name: string): PreparedTask {
  const buggy = defineModule<Record<string, never>, { value: string }>({
    name: 'buggy',
    params: z.strictObject({}),
    facts: () => ({ value: { command: 'kv get anything', parse: (result) => result.stdout } }),
    plan: (_p, facts) => ok((facts as unknown as { missing: { name: string } }).missing.name),
  });
  return { name, module: buggy, params: {} };
}
