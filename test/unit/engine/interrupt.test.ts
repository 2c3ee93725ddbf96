// Ctrl-C during a run: the Interrupt is requested from inside the fake hosts, at the moment a
// step starts (or a read of facts ends), so each test knows exactly what was running then.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { Interrupt, unlessAborted } from '../../../src/engine/interrupt.js';
import type { PreparedPlay, PreparedTask } from '../../../src/engine/prepare.js';
import { formatRecap, resultJson, runExitCode } from '../../../src/engine/result.js';
import { runPlays, runTasks } from '../../../src/engine/run.js';
import type { ExecResult } from '../../../src/transport/connection.js';
import { FakeHost, kvTask } from './fake-host.js';

const silent = { forks: 10, check: false, progress: 'silent' } as const;
const isStep = (script: string): boolean => script.startsWith('set -e\n');

/**
 * A host that calls `onStep` as each of its step scripts starts, `onRead` as each read of facts
 * ends, and starts its reads only once `mayRead` has settled.
 */
class WatchedHost extends FakeHost {
  onStep: (script: string) => void = () => undefined;
  onRead: () => void = () => undefined;
  mayRead: Promise<unknown> = Promise.resolve();

  override async execScript(script: string): Promise<ExecResult> {
    if (!isStep(script)) {
      await this.mayRead;
      const read = await super.execScript(script);
      this.onRead();
      return read;
    }
    const running = super.execScript(script);
    this.onStep(script);
    return running;
  }
}

/** Three tasks; the first one's step takes a moment (so it is running when the interrupt comes). */
function threeTasks(): PreparedTask[] {
  return [
    kvTask('first', { key: 'x', value: '1', steps: ['sleep 0.3', 'kv set x 1'] }),
    kvTask('second', { key: 'y', value: '2' }),
    kvTask('third', { key: 'z', value: '3' }),
  ];
}

describe('runTasks interrupted', () => {
  it("lets task 1's running step finish, starts no later task, and reports the host interrupted (exit 130)", async () => {
    const interrupt = new Interrupt();
    // Task 2 has nothing to change here: it is not started all the same.
    const a = new WatchedHost('a', { y: '2' });
    a.onStep = () => interrupt.request();
    const result = await runTasks(new Map([['a', threeTasks()]]), { connections: new Map([['a', a]]) }, { ...silent, interrupt });

    // The step ran to its end: x is set, and task 1 was read again and counted as changed.
    expect(a.store.get('x')).toBe('1');
    expect(result.get('a')?.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['first:changed']);
    expect(a.changes).toHaveLength(1);
    expect(a.reads).toHaveLength(2);
    expect(a.store.has('z')).toBe(false);
    expect(result.get('a')?.interrupted).toEqual({ task: 'second', running: false });

    expect(runExitCode(result)).toBe(ExitCode.interrupted);
    expect(ExitCode.interrupted).toBe(130);
    const json = resultJson(result);
    expect(json.interrupted).toBe(true);
    expect(json.hosts['a']).toMatchObject({ interrupted: true, task: 'second', reason: "interrupted before task 'second'" });
    const recap = formatRecap(result, false, 'up');
    expect(recap).toContain("a: interrupted before task 'second'");
    expect(recap).toContain('Result: INTERRUPTED: a did not finish');
  });

  it('stops every host where it is: one mid-way, one that had not begun its steps, one already done', async () => {
    const interrupt = new Interrupt();
    // c has nothing to change and is done before a reads: its read, then plans, no more I/O.
    const c = new WatchedHost('c', { x: '1', y: '2', z: '3' });
    const cRead = new Promise<void>((resolve) => {
      c.onRead = () => setTimeout(resolve, 20);
    });
    const a = new WatchedHost('a');
    a.mayRead = cRead;
    // b reads its facts only once a's step has started, then finds its first task to change.
    const b = new WatchedHost('b');
    b.mayRead = new Promise<void>((resolve) => {
      a.onStep = () => {
        interrupt.request();
        resolve();
      };
    });
    const tasks = new Map([['a', threeTasks()], ['b', threeTasks()], ['c', threeTasks()]]);
    const result = await runTasks(tasks, { connections: new Map<string, FakeHost>([['a', a], ['b', b], ['c', c]]) }, { ...silent, interrupt });

    expect(result.get('a')?.interrupted).toEqual({ task: 'second', running: false });
    expect(b.changes).toEqual([]);
    expect(result.get('b')?.tasks).toEqual([]);
    expect(result.get('b')?.interrupted).toEqual({ task: 'first', running: false });
    expect(result.get('c')?.interrupted).toBeUndefined();
    expect(result.get('c')?.tasks.map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
    expect(formatRecap(result, false, 'up')).toContain('Result: INTERRUPTED: a, b did not finish; the other 1 host was brought up.');
  });

  it('starts no step once interrupted between the read of facts and the steps', async () => {
    const interrupt = new Interrupt();
    const a = new WatchedHost('a');
    a.onRead = () => interrupt.request();
    const result = await runTasks(new Map([['a', threeTasks()]]), { connections: new Map([['a', a]]) }, { ...silent, interrupt });
    expect(a.changes).toEqual([]);
    expect(result.get('a')).toMatchObject({ tasks: [], interrupted: { task: 'first', running: false } });
  });

  it('gives up on the running step at a second interrupt, records nothing it does later, and starts nothing more', async () => {
    const interrupt = new Interrupt();
    const a = new WatchedHost('a');
    // The step waits until the test lets it go (after the run has returned).
    const held = ['until [ "$(kv get release)" = go ]; do sleep 0.02; done', 'kv set x 1'];
    a.onStep = () => {
      interrupt.request();
      setTimeout(() => interrupt.request(), 50);
    };
    const tasks = [kvTask('first', { key: 'x', value: '1', steps: held }), kvTask('second', { key: 'y', value: '2' })];
    const started = Date.now();
    const result = await runTasks(new Map([['a', tasks]]), { connections: new Map([['a', a]]) }, { ...silent, interrupt });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(interrupt.abort.aborted).toBe(true);
    expect(result.get('a')).toMatchObject({ tasks: [], interrupted: { task: 'first', running: true } });
    expect(resultJson(result).hosts['a']?.reason).toBe("interrupted: aborted while task 'first' ran (its steps may not have finished)");
    expect(runExitCode(result)).toBe(ExitCode.interrupted);

    // Let the abandoned step end: its outcome no longer reaches the result, and nothing follows it.
    await a.execScript('kv set release go');
    await expect.poll(() => a.store.get('x'), { timeout: 5_000 }).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(result.get('a')?.tasks).toEqual([]);
    expect(a.store.has('y')).toBe(false);
  });
});

describe('runPlays interrupted', () => {
  const play = (name: string, tasks: Record<string, PreparedTask[]>): PreparedPlay => ({ name, anyErrorsFatal: false, tasks: new Map(Object.entries(tasks)) });

  it('runs no later play: hosts done with this one are interrupted before the next one', async () => {
    const interrupt = new Interrupt();
    const a = new WatchedHost('a');
    a.onStep = () => interrupt.request();
    const b = new FakeHost('b');
    // b has no part in the first play: it waits for the second, which never comes.
    const first = { a: [kvTask('store', { key: 'x', value: '1', steps: ['sleep 0.2', 'kv set x 1'] })] };
    const second = { a: [kvTask('clients', { key: 'y', value: '2' })], b: [kvTask('clients', { key: 'y', value: '2' })] };
    const result = await runPlays([play('Store', first), play('Clients', second)], { connections: new Map<string, FakeHost>([['a', a], ['b', b]]) }, { ...silent, interrupt });

    expect(a.store.get('x')).toBe('1');
    expect(a.store.has('y') || b.store.has('y')).toBe(false);
    expect(b.calls).toEqual([]);
    expect(result.get('a')).toMatchObject({ interrupted: { task: 'clients', running: false } });
    expect(result.get('b')).toMatchObject({ interrupted: { task: 'clients', running: false } });
    expect(result.get('a')?.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['store:changed']);
  });

  it('does not call an interrupted play a failure that any_errors_fatal stops the others for', async () => {
    const interrupt = new Interrupt();
    const a = new WatchedHost('a');
    a.onStep = () => interrupt.request();
    const fatal: PreparedPlay = { ...play('Store', { a: [kvTask('store', { key: 'x', value: '1', steps: ['sleep 0.1', 'kv set x 1'] }), kvTask('more', { key: 'w', value: '1' })] }), anyErrorsFatal: true };
    const result = await runPlays([fatal, play('Clients', { a: [kvTask('clients', { key: 'y', value: '2' })] })], { connections: new Map([['a', a]]) }, { ...silent, interrupt });
    expect(result.get('a')?.failure).toBeUndefined();
    expect(result.get('a')?.interrupted).toEqual({ task: 'more', running: false });
  });
});

describe('unlessAborted', () => {
  it('settles with the work when it ends first, and with the marker once the signal aborts first', async () => {
    const controller = new AbortController();
    await expect(unlessAborted(Promise.resolve(7), controller.signal, 'aborted')).resolves.toBe(7);
    let fail: (error: Error) => void = () => undefined;
    const never = new Promise<number>((_resolve, reject) => {
      fail = reject;
    });
    const racing = unlessAborted(never, controller.signal, 'aborted');
    controller.abort();
    await expect(racing).resolves.toBe('aborted');
    // The work failing afterwards is not an unhandled rejection.
    fail(new Error('too late'));
    await expect(unlessAborted(Promise.resolve(1), controller.signal, 'aborted')).resolves.toBe('aborted');
  });
});
