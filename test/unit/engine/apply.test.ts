import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HostTasks, NOT_STARTED, type TaskResult } from '../../../src/engine/apply.js';
import { change, defineModule, FactParseError, ok, run, type FactQuery } from '../../../src/engine/module.js';
import type { PreparedTask } from '../../../src/engine/prepare.js';
import { CommandTimeoutError, TaskError } from '../../../src/errors.js';
import type { Connection } from '../../../src/transport/connection.js';
import { buggyTask, FakeHost, kvTask } from './fake-host.js';

/** Applies the tasks in order, as runTasks does for one host; stops at the first failure. */
async function applyAll(host: Connection, tasks: PreparedTask[], check = false): Promise<TaskResult[]> {
  const hostTasks = new HostTasks(host, tasks, check);
  const results: TaskResult[] = [];
  for (const task of tasks) {
    const outcome = await hostTasks.apply(task);
    if (outcome === NOT_STARTED) throw new Error(`${task.name} was not started, with no interrupt`);
    results.push(outcome);
  }
  return results;
}

const applyOne = async (host: Connection, task: PreparedTask, check = false): Promise<TaskResult> =>
  (await applyAll(host, [task], check))[0] as TaskResult;

/** A task with the given facts, whose plan records what it was given and changes nothing. */
function readingTask(name: string, facts: Record<string, FactQuery<unknown>>, seen: unknown[]): PreparedTask {
  const module = defineModule<Record<string, never>, Record<string, unknown>>({
    name: 'reading',
    params: z.strictObject({}),
    facts: () => facts,
    plan: (_p, values) => {
      seen.push(values);
      return ok('seen');
    },
  });
  return { name, module, params: {} };
}

describe('HostTasks: reading facts', () => {
  it('reads the facts of every task in one command, and runs nothing more on a host that matches', async () => {
    const host = new FakeHost('a', { one: '1', two: '2', three: '3', four: '4' });
    const tasks = ['one', 'two', 'three', 'four'].map((key, i) => kvTask(key, { key, value: String(i + 1) }));
    const results = await applyAll(host, tasks);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['ok', 'one is 1'],
      ['ok', 'two is 2'],
      ['ok', 'three is 3'],
      ['ok', 'four is 4'],
    ]);
    expect(host.calls).toHaveLength(1);
  });

  it("hands each plan its own facts, each parsed from its own command's output", async () => {
    const host = new FakeHost('a', { colour: 'blue', size: '3' });
    const seen: unknown[] = [];
    const tasks = [
      readingTask('colour and size', {
        colour: { command: 'kv get colour', parse: (r) => r.stdout.trim().toUpperCase() },
        size: { command: 'kv get size', parse: (r) => Number(r.stdout) },
      }, seen),
      readingTask('streams', { both: { command: 'echo out; echo err >&2; exit 4', parse: (r) => r } }, seen),
    ];
    await applyAll(host, tasks);
    expect(seen).toEqual([
      { colour: 'BLUE', size: 3 },
      { both: { stdout: 'out\n', stderr: 'err\n', code: 4, signal: null } },
    ]);
    expect(host.calls).toHaveLength(1);
  });

  it("names the task and the fact, and shows the host's output, when a parser rejects it", async () => {
    const host = new FakeHost('a');
    const reject = { command: 'fail 2 no such table', parse: () => { throw new FactParseError('exit 2'); } };
    const first = kvTask('first', { key: 'k', value: '' });
    const read = readingTask('read', { value: reject }, []);
    const hostTasks = new HostTasks(host, [first, read], false);
    await expect(hostTasks.apply(first)).resolves.toMatchObject({ status: 'ok' });
    const failure = hostTasks.apply(read);
    await expect(failure).rejects.toBeInstanceOf(TaskError);
    await expect(failure).rejects.toThrow(/^a: read: cannot read fact 'value': exit 2\n {2}\| no such table$/);
  });

  it('lets a bug in a parser through as it is', async () => {
    const host = new FakeHost('a');
    const task = readingTask('read', { value: { command: 'kv get x', parse: (r) => JSON.parse(`{${r.stdout}`) as unknown } }, []);
    await expect(applyOne(host, task)).rejects.toBeInstanceOf(SyntaxError);
  });

  it('fails the first task, naming the fact that was running, when the fact script itself dies', async () => {
    const host = new FakeHost('a', { k: 'v' });
    // The fact's parent is the script that reads them all: a stand-in for that being killed.
    const dies = { command: 'kill -KILL $PPID', parse: () => 'never' };
    const tasks = [kvTask('first', { key: 'k', value: 'v' }), readingTask('second', { dies }, []), kvTask('third', { key: 'k', value: 'v' })];
    await expect(applyAll(host, tasks)).rejects.toThrow(
      new TaskError('a', 'first', "cannot read the facts: the fact script stopped (exit SIGKILL) after 1 of 3, in fact 'dies' of task 'second'"),
    );
  });

  it('shows the last lines the fact script printed when it stops', async () => {
    const mktemp = "#!/bin/sh\necho 'mktemp: failed to create directory via template: No space left on device' >&2\nexit 1\n";
    const host = new FakeHost('a', { k: 'v' }, { mktemp });
    const tasks = [kvTask('first', { key: 'k', value: 'v' }), kvTask('second', { key: 'k', value: 'v' })];
    await expect(applyAll(host, tasks)).rejects.toThrow(
      new TaskError(
        'a',
        'first',
        "cannot read the facts: the fact script stopped (exit 1) after 0 of 2, in fact 'value' of task 'first':\n  | mktemp: failed to create directory via template: No space left on device",
      ),
    );
  });

  it('fails the first task with what was being read when the fact script times out', async () => {
    const host: Connection = {
      host: 'a',
      exec: () => Promise.reject(new Error('not used')),
      execScript: (script) => Promise.reject(new CommandTimeoutError('a', `sh -c ${script.slice(0, 20)}`, 900_000)),
      putFile: () => Promise.reject(new Error('not used')),
      start: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    const tasks = [kvTask('first', { key: 'k', value: 'v' }), kvTask('second', { key: 'k', value: 'v' })];
    await expect(applyAll(host, tasks)).rejects.toThrow(
      new TaskError('a', 'first', 'reading the facts of this task and the 1 after it did not finish within 900s'),
    );
  });

  it('runs no command for tasks without facts', async () => {
    const host = new FakeHost('a');
    await applyAll(host, [readingTask('nothing to read', {}, [])]);
    expect(host.calls).toEqual([]);
  });
});

describe('HostTasks: changes', () => {
  it("costs a changed task its steps and one more read, of its own facts and the later tasks'", async () => {
    const host = new FakeHost('a', { a: '1', c: '3', d: '4' });
    const tasks = [
      kvTask('a', { key: 'a', value: '1' }),
      kvTask('b', { key: 'b', value: '2', steps: ['kv set b 2', { put: '/etc/b.conf', content: 'b=2\n' }] }),
      kvTask('c', { key: 'c', value: '3' }),
      kvTask('d', { key: 'd', value: '4' }),
    ];
    const results = await applyAll(host, tasks);
    expect(results.map((r) => r.status)).toEqual(['ok', 'changed', 'ok', 'ok']);
    // 1 read of all, 2 steps (a script, a put), 1 read of b, c and d.
    expect(host.calls).toHaveLength(4);
    const [, reread] = host.reads;
    expect(host.reads).toHaveLength(2);
    expect(['kv get a', 'kv get b', 'kv get c', 'kv get d'].map((command) => reread?.includes(command))).toEqual([false, true, true, true]);
  });

  it('plans a later task from facts read after an earlier task changed the host', async () => {
    const host = new FakeHost('a');
    const tasks = [kvTask('set x', { key: 'x', value: '1' }), kvTask('x is 1', { key: 'x', value: '1' })];
    const results = await applyAll(host, tasks);
    expect(results.map((r) => [r.task, r.status, r.reason])).toEqual([
      ['set x', 'changed', "set x to 1 (was '')"],
      ['x is 1', 'ok', 'x is 1'],
    ]);
    expect(host.changes).toHaveLength(1);
  });

  it('in check mode plans every task from the one read, runs no step and says what would change', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const tasks = [kvTask('set k', { key: 'k', value: 'new' }), kvTask('k is new', { key: 'k', value: 'new' })];
    const results = await applyAll(host, tasks, true);
    expect(results[0]).toMatchObject({ status: 'changed', reason: "would change: set k to new (was 'old')" });
    expect(results[0]?.steps).toEqual([{ kind: 'run', script: 'kv set k new' }]);
    // The second task does not see the first one's change: check mode changes nothing.
    expect(results[1]).toMatchObject({ status: 'changed', reason: "would change: set k to new (was 'old')" });
    expect(host.calls).toHaveLength(1);
    expect(host.store.get('k')).toBe('old');
  });

  it('says ok with the reason and runs nothing when the host already matches', async () => {
    const host = new FakeHost('a', { mtu: '1462' });
    const result = await applyOne(host, kvTask('mtu', { key: 'mtu', value: '1462' }));
    expect(result).toEqual({ task: 'mtu', status: 'ok', reason: 'mtu is 1462' });
    expect(host.changes).toEqual([]);
  });

  it("marks a change whose plan asks for it as a note, in a real run and in check mode", async () => {
    const noted = defineModule<Record<string, never>, Record<string, unknown>>({
      name: 'noted',
      params: z.strictObject({}),
      facts: () => ({ value: { command: 'kv get root', parse: (r) => r.stdout.trim() } }),
      plan: (_p, facts) => (facts.value === '/srv' ? ok('root is /srv') : change('root moves to /srv: the old one stays', [run('kv set root /srv')], { notice: true })),
    });
    const task: PreparedTask = { name: 'root', module: noted, params: {} };
    expect(await applyOne(new FakeHost('a', { root: '/var' }), task, true)).toMatchObject({ status: 'changed', notice: true });
    const result = await applyOne(new FakeHost('a', { root: '/var' }), task);
    expect(result).toMatchObject({ status: 'changed', reason: 'root moves to /srv: the old one stays', notice: true });
    // Once the root is in place the task is ok again and says nothing to the recap.
    expect(await applyOne(new FakeHost('a', { root: '/srv' }), task)).toEqual({ task: 'root', status: 'ok', reason: 'root is /srv' });
  });

  it('runs consecutive scripts as one set -e script, and a put between them splits the batch', async () => {
    const host = new FakeHost('a');
    const steps = ['kv set one 1', 'kv set two 2', { put: '/etc/x.conf', content: 'x=1\n' }, 'kv set k v'];
    const result = await applyOne(host, kvTask('batch', { key: 'k', value: 'v', steps }));
    expect(result.status).toBe('changed');
    expect(host.changes).toEqual([
      { kind: 'script', script: 'set -e\nkv set one 1\nkv set two 2' },
      { kind: 'put', path: '/etc/x.conf', content: 'x=1\n', mode: 0o600 },
      { kind: 'script', script: 'set -e\nkv set k v' },
    ]);
    expect(host.store.get('two')).toBe('2');
  });

  it('reads the facts again after the steps, and fails a task whose steps did not converge', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const task = kvTask('stuck', { key: 'k', value: 'new', steps: ['kv set other new'] });
    await expect(applyOne(host, task)).rejects.toThrow(
      new TaskError('a', 'stuck', "applied, but the host still differs: set k to new (was 'old')"),
    );
    expect(host.reads).toHaveLength(2);
  });

  it('reports the reason of the first look once the steps converged', async () => {
    const host = new FakeHost('a', { k: 'old' });
    const result = await applyOne(host, kvTask('set k', { key: 'k', value: 'new' }));
    expect(result).toEqual({ task: 'set k', status: 'changed', reason: "set k to new (was 'old')", steps: [{ kind: 'run', script: 'kv set k new' }] });
    expect(host.store.get('k')).toBe('new');
  });

  it("fails on a step's non-zero exit with the code and the last lines it printed", async () => {
    const host = new FakeHost('a');
    const lines = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\\n');
    const task = kvTask('broken', { key: 'k', value: 'v', steps: [`fail 3 '${lines}'`, 'kv set k v'] });
    const error = await applyOne(host, task).catch((e: unknown) => e);
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
    await expect(applyOne(host, task)).rejects.toThrow(new TaskError('a', 'masked', 'k is masked: unmask it first'));
  });

  it('lets a bug in a plan through as it is, not as a failed task', async () => {
    const host = new FakeHost('a');
    const error = await applyOne(host, buggyTask('buggy')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(TaskError);
  });

  it('takes the tasks only in their order', async () => {
    const host = new FakeHost('a');
    const tasks = [kvTask('first', { key: 'x', value: '1' }), kvTask('second', { key: 'y', value: '2' })];
    await expect(new HostTasks(host, tasks, false).apply(tasks[1] as PreparedTask)).rejects.toThrow(/not the next task/);
  });
});
