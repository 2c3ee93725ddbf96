import { describe, expect, it, vi } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import type { PreparedTask } from '../../../src/engine/prepare.js';
import { countHost } from '../../../src/engine/result.js';
import { runTasks } from '../../../src/engine/run.js';
import { buggyTask, FakeHost, kvTask } from './fake-host.js';

const silent = { forks: 10, check: false, progress: 'silent' } as const;

function hostsWith(tasks: Record<string, PreparedTask[]>): { tasks: Map<string, PreparedTask[]>; hosts: Map<string, FakeHost> } {
  const hosts = new Map(Object.keys(tasks).map((name) => [name, new FakeHost(name)]));
  return { tasks: new Map(Object.entries(tasks)), hosts };
}

/** The same tasks on every host, over stores that already hold what they want. */
function matchingHosts(names: string[], keys: string[]): { tasks: Map<string, PreparedTask[]>; hosts: Map<string, FakeHost> } {
  const wanted = Object.fromEntries(keys.map((key) => [key, `${key}-value`]));
  const hosts = new Map(names.map((name) => [name, new FakeHost(name, wanted)]));
  const tasks = new Map(names.map((name) => [name, keys.map((key) => kvTask(`set ${key}`, { key, value: `${key}-value` }))]));
  return { tasks, hosts };
}

describe('runTasks: remote commands', () => {
  it('costs one remote command per host when nothing changes', async () => {
    const { tasks, hosts } = matchingHosts(['a', 'b', 'c'], ['k1', 'k2', 'k3', 'k4', 'k5']);
    const result = await runTasks(tasks, { connections: hosts }, silent);
    expect([...result.values()].map((host) => countHost(host))).toEqual(Array(3).fill({ ok: 5, changed: 0, failed: 0, unreachable: false }));
    expect([...hosts.values()].map((host) => host.calls.length)).toEqual([1, 1, 1]);
  });

  it('prints a line per task in plain progress, from the same one command per host', async () => {
    const { tasks, hosts } = matchingHosts(['a', 'b'], ['k1', 'k2']);
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
    try {
      await runTasks(tasks, { connections: hosts }, { ...silent, progress: 'plain' });
    } finally {
      write.mockRestore();
    }
    const lines = printed.join('').split('\n');
    for (const line of ['a: set k1: ok: k1 is k1-value', 'a: set k2: ok: k2 is k2-value', 'b: set k2: ok: k2 is k2-value']) {
      expect(lines.some((printedLine) => printedLine.endsWith(line))).toBe(true);
    }
    expect([...hosts.values()].map((host) => host.calls.length)).toEqual([1, 1]);
  });

  it('costs a task that changes its steps and one more read, and the other hosts nothing more', async () => {
    const { tasks, hosts } = matchingHosts(['a', 'b'], ['k1', 'k2', 'k3', 'k4', 'k5']);
    const a = new FakeHost('a', { k1: 'k1-value', k2: 'k2-value', k3: 'off', k4: 'k4-value', k5: 'k5-value' });
    hosts.set('a', a);
    const result = await runTasks(tasks, { connections: hosts }, silent);
    expect(result.get('a')?.tasks.map((t) => t.status)).toEqual(['ok', 'ok', 'changed', 'ok', 'ok']);
    // One read of all, the step of k3, one read of k3 to k5.
    expect(a.calls).toHaveLength(3);
    expect(a.changes).toEqual([{ kind: 'script', script: 'set -e\nkv set k3 k3-value' }]);
    expect(hosts.get('b')?.calls).toHaveLength(1);
  });

  it('in check mode costs one remote command per host, whatever would change', async () => {
    const { tasks, hosts } = matchingHosts(['a'], ['k1', 'k2']);
    const a = new FakeHost('a');
    hosts.set('a', a);
    const result = await runTasks(tasks, { connections: hosts }, { ...silent, check: true });
    expect(result.get('a')?.tasks.map((t) => t.status)).toEqual(['changed', 'changed']);
    expect(a.calls).toHaveLength(1);
  });
});

describe('runTasks', () => {
  it("stops a failed host at its failing task and lets the other hosts finish", async () => {
    const { tasks, hosts } = hostsWith({
      a: [kvTask('first', { key: 'x', value: '1' }), kvTask('breaks', { key: 'y', value: '2', steps: ['fail 1 disk full'] }), kvTask('after', { key: 'z', value: '3' })],
      b: [kvTask('first', { key: 'x', value: '1' }), kvTask('second', { key: 'y', value: '2' }), kvTask('third', { key: 'z', value: '3' })],
    });
    const result = await runTasks(tasks, { connections: hosts }, silent);

    expect(result.get('a')?.tasks.map((t) => [t.task, t.status])).toEqual([['first', 'changed'], ['breaks', 'failed']]);
    expect(result.get('a')?.failure).toEqual({ task: 'breaks', reason: 'command failed (exit 1):\n  | disk full' });
    expect(result.get('a')?.unreachable).toBe(false);
    expect(hosts.get('a')?.store.has('z')).toBe(false);
    expect(countHost(result.get('b') ?? { tasks: [], unreachable: false })).toEqual({ ok: 0, changed: 3, failed: 0, unreachable: false });
    expect([...(hosts.get('b')?.store ?? [])]).toEqual([['x', '1'], ['y', '2'], ['z', '3']]);
  });

  it('records the hosts the sessions set aside, in order, and runs the others', async () => {
    const tasks = new Map(['a', 'b', 'c'].map((name) => [name, [kvTask('set', { key: 'x', value: '1' })]]));
    const a = new FakeHost('a');
    const result = await runTasks(
      tasks,
      {
        connections: new Map([['a', a]]),
        unreachable: new Map([['b', 'no SSH session with 10.0.0.2:22 within 3s']]),
        notLocked: new Map([['c', 'locked by meshctl pid 7 from ops since 2030-01-01T00:00:00.000Z']]),
      },
      silent,
    );
    expect([...result.keys()]).toEqual(['a', 'b', 'c']);
    expect(result.get('a')).toEqual({
      unreachable: false,
      tasks: [{ task: 'set', status: 'changed', reason: "set x to 1 (was '')", steps: [{ kind: 'run', script: 'kv set x 1' }] }],
    });
    expect(result.get('b')).toEqual({ unreachable: true, tasks: [], failure: { reason: 'no SSH session with 10.0.0.2:22 within 3s' } });
    expect(result.get('c')?.failure).toEqual({ task: 'run lock', reason: 'locked by meshctl pid 7 from ops since 2030-01-01T00:00:00.000Z' });
    expect(countHost(result.get('c') ?? { tasks: [], unreachable: false }).failed).toBe(1);
    expect([...a.store]).toEqual([['x', '1']]);
  });

  it('makes a host whose connection is lost during a task unreachable, and lets the others finish', async () => {
    class DroppedHost extends FakeHost {
      override async execScript(script: string) {
        if (script.startsWith('set -e\n')) throw new ConnectError(this.host, 'unreachable', 'the connection to 10.0.0.1:22 was closed');
        return super.execScript(script);
      }
    }
    const tasks = new Map(['a', 'b'].map((name) => [name, [kvTask('first', { key: 'x', value: '1' }), kvTask('second', { key: 'y', value: '2' })]]));
    const hosts = new Map<string, FakeHost>([['a', new DroppedHost('a')], ['b', new FakeHost('b')]]);
    const result = await runTasks(tasks, { connections: hosts }, silent);
    expect(result.get('a')).toMatchObject({ unreachable: true, failure: { task: 'first', reason: 'the connection to 10.0.0.1:22 was closed' } });
    expect(countHost(result.get('b') ?? { tasks: [], unreachable: false })).toEqual({ ok: 0, changed: 2, failed: 0, unreachable: false });
  });

  it('runs the tasks of a host in order', async () => {
    const { tasks, hosts } = hostsWith({
      a: [kvTask('set', { key: 'x', value: '1' }), kvTask('overwrite', { key: 'x', value: '2' })],
    });
    await runTasks(tasks, { connections: hosts }, silent);
    expect(hosts.get('a')?.changes).toEqual([
      { kind: 'script', script: 'set -e\nkv set x 1' },
      { kind: 'script', script: 'set -e\nkv set x 2' },
    ]);
  });

  it('throws a bug in a task as it is, after the other hosts have finished', async () => {
    const { tasks, hosts } = hostsWith({
      a: [buggyTask('buggy'), kvTask('after', { key: 'z', value: '3' })],
      b: [kvTask('first', { key: 'x', value: '1' }), kvTask('second', { key: 'y', value: '2' })],
    });
    const error = await runTasks(tasks, { connections: hosts }, silent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(hosts.get('a')?.store.has('z')).toBe(false);
    expect([...(hosts.get('b')?.store ?? [])]).toEqual([['x', '1'], ['y', '2']]);
  });
});
