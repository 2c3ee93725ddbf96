// How a run ended on each host, as the state file keeps it for `meshctl status`, and how status
// says it ("up ok 3 min ago"). Hosts whose run lock was never taken ran nothing, so they keep
// the run before.
//   lastRuns(result, 'up', new Date()) → Map { node1 → { action: 'up', at, outcome: 'ok' } }
import type { LastRun } from '../state/record.js';
import { isNotLocked, type HostResult, type RunResult } from '../engine/result.js';
import type { PlaybookAction } from '../engine/playbook.js';

export function lastRuns(result: RunResult, action: PlaybookAction, endedAt: Date): Map<string, LastRun> {
  const runs = new Map<string, LastRun>();
  for (const [name, host] of result) {
    if (isNotLocked(host)) continue;
    runs.set(name, lastRun(host, action, endedAt.toISOString()));
  }
  return runs;
}

function lastRun(host: HostResult, action: PlaybookAction, at: string): LastRun {
  if (host.interrupted !== undefined) return { action, at, outcome: 'interrupted', task: host.interrupted.task };
  const task = host.failure?.task ?? host.tasks.find((t) => t.status === 'failed')?.task;
  const outcome = host.unreachable ? 'unreachable' : host.failure !== undefined || task !== undefined ? 'failed' : 'ok';
  const run: LastRun = { action, at, outcome };
  if (outcome !== 'ok' && task !== undefined) run.task = task;
  return run;
}

/** `up ok 3 min ago`, `down failed in links 2 h ago`, `up interrupted at links just now`. */
export function describeLastRun(run: LastRun, now: Date): string {
  const where = run.task === undefined ? '' : ` ${run.outcome === 'interrupted' ? 'at' : 'in'} ${run.task}`;
  return `${run.action} ${run.outcome}${where} ${ago(now.getTime() - Date.parse(run.at))}`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}
