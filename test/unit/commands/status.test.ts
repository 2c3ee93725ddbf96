import { describe, expect, it } from 'vitest';
import { formatStatus, hostStatus } from '../../../src/commands/status.js';
import type { HostResult } from '../../../src/engine/result.js';

const ok = (task: string) => ({ task, status: 'ok' as const, reason: 'fine' });

describe('hostStatus', () => {
  it('is up when every task finds nothing to change', () => {
    const outcome: HostResult = { tasks: [ok('a'), ok('b')], unreachable: false };
    expect(hostStatus('10.240.1.0/24', true, outcome)).toEqual({ subnet: '10.240.1.0/24', recorded: true, reachable: true, mesh_up: true, drift: [], last_run: null });
  });

  it('lists what would change where the mesh drifted', () => {
    const outcome: HostResult = { tasks: [ok('a'), { task: 'links', status: 'changed', reason: 'would change: veth-mesh is not in docker0' }], unreachable: false };
    expect(hostStatus('10.240.1.0/24', true, outcome)).toMatchObject({ mesh_up: false, drift: [{ task: 'links', reason: 'would change: veth-mesh is not in docker0' }] });
  });

  it('does not know whether the mesh is up on a host it could not reach or whose task failed', () => {
    expect(hostStatus('s', false, { tasks: [], unreachable: true, failure: { reason: 'could not be reached: timeout' } })).toEqual({
      subnet: 's', recorded: false, reachable: false, mesh_up: null, drift: [], reason: 'could not be reached: timeout', last_run: null,
    });
    const failed: HostResult = { tasks: [{ task: 'facts', status: 'failed', reason: 'cannot read fact' }], unreachable: false, failure: { task: 'facts', reason: 'cannot read fact' } };
    expect(hostStatus('s', true, failed)).toMatchObject({ reachable: true, mesh_up: null, reason: 'facts: cannot read fact' });
  });

  it('carries the last run recorded for the host, reachable or not', () => {
    const lastRun = { action: 'up' as const, at: '2026-12-01T11:57:00.000Z', outcome: 'unreachable' as const };
    expect(hostStatus('s', true, { tasks: [ok('a')], unreachable: false }, lastRun).last_run).toEqual(lastRun);
    expect(hostStatus('s', true, undefined, lastRun).last_run).toEqual(lastRun);
  });
});

describe('formatStatus', () => {
  it('shows one line per host with its last run, the drift, and marks subnets not recorded yet', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const text = formatStatus('ovs-gre', {
      node1: { subnet: '10.240.0.0/24', recorded: true, reachable: true, mesh_up: true, drift: [], last_run: { action: 'up', at: '2026-12-01T11:57:00.000Z', outcome: 'ok' } },
      node2: { subnet: '10.240.1.0/24', recorded: false, reachable: true, mesh_up: false, drift: [{ task: 'links', reason: 'would change: x' }], last_run: null },
      node3: { subnet: '10.240.2.0/24', recorded: true, reachable: false, mesh_up: null, drift: [], reason: 'could not be reached', last_run: { action: 'down', at: '2026-11-30T09:00:00.000Z', outcome: 'failed', task: 'links' } },
    }, { store: 'file', path: '/srv/lab/inventory.state.json' }, now);
    expect(text.split('\n')).toEqual([
      'backend ovs-gre',
      'state file /srv/lab/inventory.state.json',
      'host   subnet              reachable  mesh            last run',
      'node1  10.240.0.0/24       yes        up              up ok 3 min ago',
      'node2  10.240.1.0/24*      yes        drift (1 task)  never',
      'node3  10.240.2.0/24       no         ?               down failed in links 27 h ago',
      'node2: links: would change: x',
      'node3: could not be reached',
      '* not recorded yet: the next `up` gives it this subnet',
    ]);
  });
});

describe('formatStatus, with a shared store', () => {
  it('names the store, its endpoints and the key, not the credentials an endpoint carried', () => {
    const text = formatStatus('vxlan', {}, { store: 'etcd', endpoints: ['http://***@10.0.0.5:2379', 'http://10.0.0.6:2379'], key: 'meshctl/lab/state' });
    expect(text.split('\n')[1]).toBe('state etcd http://***@10.0.0.5:2379,http://10.0.0.6:2379 key meshctl/lab/state');
  });
});
