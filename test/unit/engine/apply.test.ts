import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyTask, gatherFacts } from '../../../src/engine/apply.js';
import { defineModule, FactParseError, ok } from '../../../src/engine/module.js';
import { TaskError } from '../../../src/errors.js';
import { buggyTask, FakeHost, kvTask } from './fake-host.js';

describe('gatherFacts', () => {
  it("runs each fact's command and hands its parsed output to the plan", async () => {
    const host = new FakeHost('a', { colour: 'blue', size: '3' });
    const seen: unknown[] = [];
    const module = defineModule<Record<string, never>, { colour: string; size: number }>({
      name: 'two_facts',
      params: z.strictObject({}),
      facts: () => ({
        colour: { command: 'kv get colour', parse: (r) => r.stdout.trim().toUpperCase() },
        size: { command: 'kv get size', parse: (r) => Number(r.stdout) },
      }),
      plan: (_p, facts) => {
        seen.push(facts);
        return ok('seen');
      },
    });
    await applyTask(host, { name: 'read', module, params: {} }, false);
    expect(seen).toEqual([{ colour: 'BLUE', size: 3 }]);
    expect(host.calls).toHaveLength(2);
  });

  it("names the fact and shows the host's output when a parser rejects it", async () => {
    const host = new FakeHost('a');
    const queries = { value: { command: 'fail 2 no such table', parse: () => { throw new FactParseError('exit 2'); } } };
    const failure = gatherFacts(host, 'read', queries);
    await expect(failure).rejects.toBeInstanceOf(TaskError);
    await expect(failure).rejects.toThrow(/^a: read: cannot read fact 'value': exit 2\n {2}\| no such table$/);
  });

  it('lets a bug in a parser through as it is', async () => {
    const host = new FakeHost('a');
    const queries = { value: { command: 'kv get x', parse: (r: { stdout: string }) => (JSON.parse(`{${r.stdout}`) as unknown) } };
    await expect(gatherFacts(host, 'read', queries)).rejects.toBeInstanceOf(SyntaxError);
  });
});

describe('applyTask', () => {
  it('says ok with the reason and runs nothing when the host already matches', async () => {
    const host = new FakeHost('a', { mtu: '1462' });
    const result = await applyTask(host, kvTask('mtu', { key: 'mtu', value: '1462' }), false);
    expect(result).toEqual({ task: 'mtu', status: 'ok', reason: 'mtu is 1462' });
    expect(host.changes).toEqual([]);
  });

  it('runs consecutive scripts as one set -e script, and a put between them splits the batch', async () => {
    const host = new FakeHost('a');
    const steps = ['kv set one 1', 'kv set two 2', { put: '/etc/x.conf', content: 'x=1\n' }, 'kv set k v'];
    const result = await applyTask(host, kvTask('batch', { key: 'k', value: 'v', steps }), false);
    expect(result.status).toBe('changed');
    expect(host.changes).toEqual([
      { kind: 'script', script: 'set -e\nkv set one 1\nkv set two 2' },
      { kind: 'put', path: '/etc/x.conf', content: 'x=1\n', mode: 0o600 },
      { kind: 'script', script: 'set -e\nkv set k v' },
    ]);
  });

  it('reads the facts again after the steps, and fails a task whose steps did not converge', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const task = kvTask('stuck', { key: 'k', value: 'new', steps: ['kv set other new'] });
    await expect(applyTask(host, task, false)).rejects.toThrow(
      new TaskError('a', 'stuck', "applied, but the host still differs: set k to new (was 'old')"),
    );
    expect(host.calls.filter((call) => call.kind === 'script' && call.script === 'kv get k')).toHaveLength(2);
  });

  it('reports the reason of the first look once the steps converged', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const result = await applyTask(host, kvTask('set k', { key: 'k', value: 'new' }), false);
    expect(result).toEqual({ task: 'set k', status: 'changed', reason: "set k to new (was 'old')" });
    expect(host.store.get('k')).toBe('new');
  });

  it('in check mode runs no step and says what would change', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const result = await applyTask(host, kvTask('set k', { key: 'k', value: 'new' }), true);
    expect(result).toMatchObject({ status: 'changed', reason: "would change: set k to new (was 'old')" });
    expect(result.steps).toEqual([{ kind: 'run', script: 'kv set k new' }]);
    expect(host.changes).toEqual([]);
    expect(host.store.get('k')).toBe('old');
  });

  it("fails on a step's non-zero exit with the code and the last lines it printed", async () => {
    const host = new FakeHost('a');
    const lines = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\\n');
    const task = kvTask('broken', { key: 'k', value: 'v', steps: [`fail 3 '${lines}'`, 'kv set k v'] });
    const error = await applyTask(host, task, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    const message = (error as TaskError).message;
    expect(message).toMatch(/^a: broken: command failed \(exit 3\):\n {2}\| … 5 lines above\n {2}\| line 6\n/);
    expect(message).toMatch(/\| line 25$/);
    expect(message).not.toMatch(/\| line 5\n/);
    expect(host.store.has('k')).toBe(false);
  });

  it("turns a plan's refusal into the task's failure", async () => {
    const host = new FakeHost('a');
    const task = kvTask('masked', { key: 'k', value: 'v', refuse: 'k is masked: unmask it first' });
    await expect(applyTask(host, task, false)).rejects.toThrow(new TaskError('a', 'masked', 'k is masked: unmask it first'));
  });

  it('lets a bug in a plan through as it is, not as a failed task', async () => {
    const host = new FakeHost('a');
    const error = await applyTask(host, buggyTask('buggy'), false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(TaskError);
  });
});
