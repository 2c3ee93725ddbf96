import { describe, expect, it } from 'vitest';
import { formatChanges, formatRecap, notLockedHost, resultJson, runExitCode, unreachableHost, type HostResult, type RunResult } from '../../../src/engine/result.js';
import { runTasks } from '../../../src/engine/run.js';
import { FakeHost, kvTask } from './fake-host.js';

describe('formatChanges', () => {
  it('lists what changed per host and task, with the reason, and leaves out the rest', () => {
    const result: RunResult = new Map([
      ['node1', {
        unreachable: false,
        tasks: [
          { task: 'Install packages', status: 'ok', reason: 'all 2 packages installed' },
          { task: 'GRE port to every peer', status: 'changed', reason: 'add gre-node2 → 10.211.1.12' },
          { task: 'docker0 on the mesh', status: 'changed', reason: 'write /usr/local/lib/meshctl/mesh-links.sh' },
        ],
      }],
      ['node2', { unreachable: false, tasks: [{ task: 'Install packages', status: 'ok', reason: 'all 2 packages installed' }] }],
      ['node3', {
        unreachable: false,
        failure: { task: 'Forward IPv4', reason: 'the kernel has no sysctl' },
        tasks: [
          { task: 'Install packages', status: 'changed', reason: 'install openvswitch-switch (apt)' },
          { task: 'Forward IPv4', status: 'failed', reason: 'the kernel has no sysctl' },
        ],
      }],
    ]);
    expect(formatChanges(result)).toBe(
      [
        '',
        'CHANGES ***************************************************************',
        'node1',
        '  GRE port to every peer: add gre-node2 → 10.211.1.12',
        '  docker0 on the mesh: write /usr/local/lib/meshctl/mesh-links.sh',
        'node3',
        '  Install packages: install openvswitch-switch (apt)',
      ].join('\n'),
    );
  });

  it('is empty when nothing changed', () => {
    const result: RunResult = new Map([['node1', { unreachable: false, tasks: [{ task: 'Install packages', status: 'ok', reason: 'installed' }] }]]);
    expect(formatChanges(result)).toBe('');
  });

  it('shows the reasons of a check run, which would change and did not', async () => {
    const hosts = new Map([['a', new FakeHost('a', { mtu: '1500' })], ['b', new FakeHost('b', { mtu: '1462' })]]);
    const tasks = new Map([...hosts.keys()].map((name) => [name, [kvTask('MTU', { key: 'mtu', value: '1462' })]]));
    const result = await runTasks(tasks, { connections: hosts }, { forks: 2, check: true, progress: 'silent' });
    expect(formatChanges(result).split('\n').slice(2)).toEqual(['a', "  MTU: would change: set mtu to 1462 (was '1500')"]);
  });

  it('indents the further lines of a reason under its task', () => {
    const result: RunResult = new Map([['n', { unreachable: false, tasks: [{ task: 't', status: 'changed', reason: 'first\nsecond' }] }]]);
    expect(formatChanges(result).split('\n').slice(2)).toEqual(['n', '  t: first', '    second']);
  });
});

describe('formatRecap', () => {
  it('counts per host under a PLAY RECAP heading and says what the run did', () => {
    const result: RunResult = new Map([
      ['node1', { unreachable: false, tasks: [{ task: 't', status: 'changed', reason: 'r' }, { task: 'u', status: 'ok', reason: 'r' }] }],
      ['n2', { unreachable: false, tasks: [{ task: 't', status: 'ok', reason: 'r' }] }],
    ]);
    expect(formatRecap(result, true, 'up').split('\n')).toEqual([
      '',
      'PLAY RECAP ************************************************************',
      'node1 : ok=1  changed=1  failed=0  unreachable=0',
      'n2    : ok=1  changed=0  failed=0  unreachable=0',
      '',
      'Result: ok, 1 task(s) would change (check mode: nothing was changed).',
    ]);
  });
});

/** node1 and node2 brought up, node3 not reached: the run the issue describes. */
const converged = (changed: number): HostResult => ({
  unreachable: false,
  tasks: [
    ...Array.from({ length: changed }, (_, i) => ({ task: `t${i}`, status: 'changed' as const, reason: 'r' })),
    { task: 'last', status: 'ok' as const, reason: 'r' },
  ],
});
const failedIn = (task: string, reason: string): HostResult => ({
  unreachable: false,
  tasks: [{ task: 'first', status: 'ok', reason: 'r' }, { task, status: 'failed', reason }],
  failure: { task, reason },
});
const NO_SESSION = 'no SSH session with 10.210.0.99:22 within 3s';

describe('a run where some hosts did not finish', () => {
  it('names each host that did not finish with the reason, and says what the others did', () => {
    const result: RunResult = new Map([['node1', converged(4)], ['node2', converged(5)], ['node3', unreachableHost(NO_SESSION)]]);
    expect(formatRecap(result, false, 'up').split('\n').slice(2)).toEqual([
      'node1 : ok=1  changed=4  failed=0  unreachable=0',
      'node2 : ok=1  changed=5  failed=0  unreachable=0',
      'node3 : ok=0  changed=0  failed=0  unreachable=1',
      '',
      `node3: could not be reached: ${NO_SESSION}`,
      '',
      'Result: FAILED: node3 could not be reached; the other 2 hosts were brought up.',
    ]);
    expect(runExitCode(result)).toBe(3);
  });

  it('names the failed task, and counts an unreachable host before a failed one in the exit code', () => {
    const result: RunResult = new Map([
      ['node1', failedIn('Install packages', 'command failed (exit 100):\n  | E: Unable to locate package')],
      ['node2', converged(1)],
      ['node3', unreachableHost(NO_SESSION)],
    ]);
    const lines = formatRecap(result, false, 'down').split('\n');
    expect(lines).toContain("node1: task 'Install packages' failed: command failed (exit 100):");
    expect(lines.at(-1)).toBe('Result: FAILED: node3 could not be reached and node1 failed; the other 1 host was taken down.');
    expect(runExitCode(result)).toBe(3);
    expect(runExitCode(new Map([['node1', result.get('node1') as HostResult], ['node2', converged(0)]]))).toBe(1);
  });

  it('tells a host locked by another run apart, and says nothing was changed when no host ran', () => {
    const result: RunResult = new Map([['node1', notLockedHost('locked by meshctl pid 7 from ops since T')], ['node2', unreachableHost(NO_SESSION)]]);
    const lines = formatRecap(result, false, 'up').split('\n');
    expect(lines).toContain("node1: task 'run lock' failed: locked by meshctl pid 7 from ops since T");
    expect(lines.at(-1)).toBe('Result: FAILED: node2 could not be reached and node1 failed; nothing was changed.');
  });

  it('gives the reason, and the task, of each host that did not finish in --json, and keeps the counts', () => {
    const lost: HostResult = { unreachable: true, tasks: [{ task: 'Bridge', status: 'failed', reason: 'the connection was closed' }], failure: { task: 'Bridge', reason: 'the connection was closed' } };
    const result: RunResult = new Map([['node1', converged(2)], ['node2', failedIn('Forward IPv4', 'no sysctl')], ['node3', unreachableHost(NO_SESSION)], ['node4', lost]]);
    expect(resultJson(result)).toEqual({
      ok: false,
      hosts: {
        node1: { ok: 1, changed: 2, failed: 0, unreachable: false },
        node2: { ok: 1, changed: 0, failed: 1, unreachable: false, task: 'Forward IPv4', reason: "task 'Forward IPv4' failed: no sysctl" },
        node3: { ok: 0, changed: 0, failed: 0, unreachable: true, reason: `could not be reached: ${NO_SESSION}` },
        node4: { ok: 0, changed: 0, failed: 1, unreachable: true, task: 'Bridge', reason: "lost in task 'Bridge': the connection was closed" },
      },
    });
  });

  it('says what a check run would have done on the hosts it reached', () => {
    const result: RunResult = new Map([['node1', converged(1)], ['node2', unreachableHost(NO_SESSION)]]);
    expect(formatRecap(result, true, 'up').split('\n').at(-1)).toBe(
      'Result: FAILED: node2 could not be reached; the other 1 host was checked (check mode: nothing was changed).',
    );
  });
});

describe('notes in the recap', () => {
  it('lists each note once with its hosts, in the text and in --json', () => {
    const kept = { task: 'Key-value store', status: 'ok' as const, reason: 'etcd kept with its data: down --purge removes it', notice: true };
    const mode = { task: 'Overlay mode', status: 'ok' as const, reason: 'store: auto chose swarm', notice: true };
    const result: RunResult = new Map([
      ['node1', { unreachable: false, tasks: [kept, mode] }],
      ['node2', { unreachable: false, tasks: [mode, { task: 'x', status: 'ok', reason: 'fine' }] }],
    ]);
    const text = formatRecap(result, false, 'down');
    expect(text).toContain('NOTES ***');
    expect(text).toContain('node1: Key-value store: etcd kept with its data: down --purge removes it');
    expect(text).toContain('all hosts: Overlay mode: store: auto chose swarm');
    expect(resultJson(result).hosts.node2?.notes).toEqual([{ task: 'Overlay mode', note: 'store: auto chose swarm' }]);
    expect(resultJson(result).hosts.node2).not.toHaveProperty('reason');
  });
});
