import { describe, expect, it } from 'vitest';
import { describeLastRun, lastRuns } from '../../../src/commands/last-run.js';
import { notLockedHost, unreachableHost, type RunResult } from '../../../src/engine/result.js';

const ended = new Date('2026-12-01T12:00:00Z');

describe('lastRuns', () => {
  it('says per host whether the run ended ok, failed in a task, or could not reach it', () => {
    const result: RunResult = new Map([
      ['ok', { tasks: [{ task: 'links', status: 'changed', reason: 'made' }], unreachable: false }],
      ['failed', { tasks: [{ task: 'sysctl', status: 'ok', reason: 'set' }, { task: 'links', status: 'failed', reason: 'exit 1' }], unreachable: false }],
      ['lost', { tasks: [], unreachable: true, failure: { task: 'bridge', reason: 'connection reset' } }],
      ['away', unreachableHost('timeout')],
    ]);
    expect(Object.fromEntries(lastRuns(result, 'down', ended))).toEqual({
      ok: { action: 'down', at: '2026-12-01T12:00:00.000Z', outcome: 'ok' },
      failed: { action: 'down', at: '2026-12-01T12:00:00.000Z', outcome: 'failed', task: 'links' },
      lost: { action: 'down', at: '2026-12-01T12:00:00.000Z', outcome: 'unreachable', task: 'bridge' },
      away: { action: 'down', at: '2026-12-01T12:00:00.000Z', outcome: 'unreachable' },
    });
  });

  it('leaves out hosts another run kept locked: nothing ran there', () => {
    const result: RunResult = new Map([
      ['locked', notLockedHost('locked by meshctl pid 7 from admin')],
      ['ran', { tasks: [], unreachable: false }],
    ]);
    expect([...lastRuns(result, 'up', ended).keys()]).toEqual(['ran']);
  });
});

describe('describeLastRun', () => {
  const at = (minutesBefore: number): string => new Date(ended.getTime() - minutesBefore * 60_000).toISOString();
  it('says how long ago, in the unit a person reads', () => {
    expect(describeLastRun({ action: 'up', at: at(0.2), outcome: 'ok' }, ended)).toBe('up ok just now');
    expect(describeLastRun({ action: 'up', at: at(3), outcome: 'ok' }, ended)).toBe('up ok 3 min ago');
    expect(describeLastRun({ action: 'up', at: at(125), outcome: 'failed', task: 'links' }, ended)).toBe('up failed in links 2 h ago');
    expect(describeLastRun({ action: 'down', at: at(3 * 24 * 60), outcome: 'unreachable' }, ended)).toBe('down unreachable 3 days ago');
  });
});
