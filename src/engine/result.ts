// Per-host outcome of a run, the PLAY RECAP, what changed (for the live view, whose rows show only
// the task each host is on), and the --json shape.
import type { TaskResult } from './apply.js';

export interface HostResult {
  tasks: TaskResult[];
  unreachable: boolean;
  /** Why the host failed or could not be reached. */
  error?: string;
}

export type RunResult = Map<string, HostResult>;

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: boolean;
}

export function countHost(result: HostResult): HostCounts {
  const count = (status: TaskResult['status']): number => result.tasks.filter((t) => t.status === status).length;
  return { ok: count('ok'), changed: count('changed'), failed: count('failed'), unreachable: result.unreachable };
}

export function runSucceeded(result: RunResult): boolean {
  return [...result.values()].every((host) => !host.unreachable && host.error === undefined && countHost(host).failed === 0);
}

export function resultJson(result: RunResult): { ok: boolean; hosts: Record<string, HostCounts> } {
  return {
    ok: runSucceeded(result),
    hosts: Object.fromEntries([...result].map(([name, host]) => [name, countHost(host)])),
  };
}

/** `PLAY RECAP ****…`: a title padded with stars to one width, as Ansible does. */
function heading(title: string): string {
  return `${title} ${'*'.repeat(Math.max(3, 70 - title.length))}`;
}

/**
 * Every task that changed (or in check mode would change), per host in run order, with its
 * reason; '' when nothing did. Plain progress already printed these as they happened.
 */
export function formatChanges(result: RunResult): string {
  const lines: string[] = [];
  for (const [name, host] of result) {
    const changed = host.tasks.filter((task) => task.status === 'changed');
    if (changed.length === 0) continue;
    lines.push(name);
    for (const task of changed) lines.push(`  ${task.task}: ${task.reason.replaceAll('\n', '\n    ')}`);
  }
  return lines.length === 0 ? '' : ['', heading('CHANGES'), ...lines].join('\n');
}

/** Ansible's PLAY RECAP, plus one line that says whether anything changed. */
export function formatRecap(result: RunResult, check: boolean): string {
  const width = Math.max(...[...result.keys()].map((name) => name.length));
  const lines = ['', heading('PLAY RECAP')];
  for (const [name, host] of result) {
    const c = countHost(host);
    lines.push(`${name.padEnd(width)} : ok=${c.ok}  changed=${c.changed}  failed=${c.failed}  unreachable=${c.unreachable ? 1 : 0}`);
  }
  for (const [name, host] of result) {
    if (host.error !== undefined) lines.push('', `${name}: ${host.error}`);
  }
  const changed = [...result.values()].reduce((sum, host) => sum + countHost(host).changed, 0);
  lines.push('');
  if (!runSucceeded(result)) lines.push('Result: FAILED');
  else if (changed === 0) lines.push('Result: ok, nothing changed: every host already matches the inventory.');
  else if (check) lines.push(`Result: ok, ${changed} task(s) would change (check mode: nothing was changed).`);
  else lines.push(`Result: ok, ${changed} task(s) changed.`);
  return lines.join('\n');
}
