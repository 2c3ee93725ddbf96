import { describe, expect, it } from 'vitest';
import type { PreparedTask } from '../../../src/engine/prepare.js';
import { countHost } from '../../../src/engine/result.js';
import { runTasks } from '../../../src/engine/run.js';
import { buggyTask, FakeHost, kvTask } from './fake-host.js';

const silent = { forks: 10, check: false, progress: 'silent' } as const;

function hostsWith(tasks: Record<string, PreparedTask[]>): { tasks: Map<string, PreparedTask[]>; hosts: Map<string, FakeHost> } {
  const hosts = new Map(Object.keys(tasks).map((name) => [name, new FakeHost(name)]));
  return { tasks: new Map(Object.entries(tasks)), hosts };
}

describe('runTasks', () => {
  it("stops a failed host at its failing task and lets the other hosts finish", async () => {
    const { tasks, hosts } = hostsWith({
      a: [kvTask('first', { key: 'x', value: '1' }), kvTask('breaks', { key: 'y', value: '2', steps: ['fail 1 disk full'] }), kvTask('after', { key: 'z', value: '3' })],
      b: [kvTask('first', { key: 'x', value: '1' }), kvTask('second', { key: 'y', value: '2' }), kvTask('third', { key: 'z', value: '3' })],
    });
    const result = await runTasks(tasks, hosts, silent);

    expect(result.get('a')?.tasks.map((t) => [t.task, t.status])).toEqual([['first', 'changed'], ['breaks', 'failed']]);
    expect(result.get('a')?.error).toMatch(/^task 'breaks' failed: a: breaks: command failed \(exit 1\)/);
    expect(hosts.get('a')?.store.has('z')).toBe(false);
    expect(countHost(result.get('b') ?? { tasks: [], unreachable: false })).toEqual({ ok: 0, changed: 3, failed: 0, unreachable: false });
    expect([...(hosts.get('b')?.store ?? [])]).toEqual([['x', '1'], ['y', '2'], ['z', '3']]);
  });

  it('runs the tasks of a host in order', async () => {
    const { tasks, hosts } = hostsWith({
      a: [kvTask('set', { key: 'x', value: '1' }), kvTask('overwrite', { key: 'x', value: '2' })],
    });
    await runTasks(tasks, hosts, silent);
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
    const error = await runTasks(tasks, hosts, silent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(hosts.get('a')?.store.has('z')).toBe(false);
    expect([...(hosts.get('b')?.store ?? [])]).toEqual([['x', '1'], ['y', '2']]);
  });
});
