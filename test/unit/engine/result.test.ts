import { describe, expect, it } from 'vitest';
import { formatChanges, formatRecap, type RunResult } from '../../../src/engine/result.js';
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
        error: "task 'Forward IPv4' failed: node3: Forward IPv4: the kernel has no sysctl",
        tasks: [
          { task: 'Install packages', status: 'changed', reason: 'install openvswitch-switch (apt)' },
          { task: 'Forward IPv4', status: 'failed', reason: 'node3: Forward IPv4: the kernel has no sysctl' },
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
    const result = await runTasks(tasks, hosts, { forks: 2, check: true, progress: 'silent' });
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
    expect(formatRecap(result, true).split('\n')).toEqual([
      '',
      'PLAY RECAP ************************************************************',
      'node1 : ok=1  changed=1  failed=0  unreachable=0',
      'n2    : ok=1  changed=0  failed=0  unreachable=0',
      '',
      'Result: ok, 1 task(s) would change (check mode: nothing was changed).',
    ]);
  });
});
