// Per-host outcome of a run, the PLAY RECAP, what changed (for the live view, whose rows show only
// the task each host is on), the --json shape and the exit code. A host that could not be reached
// or failed is named with the task and the reason; the others' outcome stands beside it. So is
// a host that an interrupted run (Ctrl-C) left before it finished.
import { ExitCode } from '../errors.js';
import type { TaskResult } from './apply.js';
import type { PlaybookAction } from './playbook.js';

/** The task a host stopped in (none: it stopped before its first) and why. */
export interface HostFailure {
  task?: string;
  reason: string;
}

/** Where an interrupted run left a host: the task it did not start, or was in when aborted. */
export interface HostInterruption {
  task: string;
  /** The run was aborted (a second Ctrl-C) while this task ran: its steps may not have finished. */
  running: boolean;
}

export interface HostResult {
  tasks: TaskResult[];
  /** Not reached, or the connection was lost during the run (`failure` says in which task). */
  unreachable: boolean;
  failure?: HostFailure;
  /** The run was interrupted before this host finished its tasks. */
  interrupted?: HostInterruption;
}

export type RunResult = Map<string, HostResult>;

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: boolean;
}

/** What `--json` says of a host: its counts, and why it did not finish, when it did not. */
export interface HostJson extends HostCounts {
  reason?: string;
  task?: string;
  interrupted?: true;
  /** The recap's notes for this host: `{ task, note }`. */
  notes?: { task: string; note: string }[];
}

/** The pseudo-task a host fails when its run lock cannot be taken: nothing ran there. */
const RUN_LOCK_TASK = 'run lock';

export function unreachableHost(reason: string): HostResult {
  return { tasks: [], unreachable: true, failure: { reason } };
}

export function notLockedHost(reason: string): HostResult {
  return { tasks: [{ task: RUN_LOCK_TASK, status: 'failed', reason }], unreachable: false, failure: { task: RUN_LOCK_TASK, reason } };
}

/** The host's run lock stayed with another run: nothing of this run ran there. */
export function isNotLocked(result: HostResult): boolean {
  return !result.unreachable && result.failure?.task === RUN_LOCK_TASK && result.tasks.length === 1;
}

export function countHost(result: HostResult): HostCounts {
  const count = (status: TaskResult['status']): number => result.tasks.filter((t) => t.status === status).length;
  return { ok: count('ok'), changed: count('changed'), failed: count('failed'), unreachable: result.unreachable };
}

function hostFailed(host: HostResult): boolean {
  return host.unreachable || host.failure !== undefined || host.interrupted !== undefined || countHost(host).failed > 0;
}

/** Whether an interrupt left some host before it finished. */
export function runInterrupted(result: RunResult): boolean {
  return [...result.values()].some((host) => host.interrupted !== undefined);
}

export function runSucceeded(result: RunResult): boolean {
  return [...result.values()].every((host) => !hostFailed(host));
}

/**
 * 130 when an interrupt left a host unfinished (the shell's code for Ctrl-C), else 3 when a host
 * could not be reached, 1 when one failed, else 0.
 */
export function runExitCode(result: RunResult): ExitCode {
  if (runInterrupted(result)) return ExitCode.interrupted;
  const hosts = [...result.values()];
  if (hosts.some((host) => host.unreachable)) return ExitCode.unreachable;
  return hosts.some(hostFailed) ? ExitCode.hostFailed : ExitCode.ok;
}

/** Why a host did not finish, in words: `task 'X' failed: …`, `could not be reached: …`. */
export function describeFailure(host: HostResult): string | undefined {
  const interrupted = host.interrupted;
  if (interrupted !== undefined) {
    return interrupted.running
      ? `interrupted: aborted while task '${interrupted.task}' ran (its steps may not have finished)`
      : `interrupted before task '${interrupted.task}'`;
  }
  const failure = host.failure;
  if (failure === undefined) return undefined;
  if (failure.task === undefined) return host.unreachable ? `could not be reached: ${failure.reason}` : failure.reason;
  if (host.unreachable) return `lost in task '${failure.task}': ${failure.reason}`;
  return `task '${failure.task}' failed: ${failure.reason}`;
}

export function resultJson(result: RunResult): { ok: boolean; interrupted?: true; hosts: Record<string, HostJson> } {
  const hostJson = (host: HostResult): HostJson => {
    const reason = describeFailure(host);
    const notes = host.tasks.filter((t) => t.notice === true).map((t) => ({ task: t.task, note: t.reason }));
    const withNotes = notes.length === 0 ? {} : { notes };
    if (reason === undefined) return { ...countHost(host), ...withNotes };
    if (host.interrupted !== undefined) return { ...countHost(host), reason, task: host.interrupted.task, interrupted: true, ...withNotes };
    return { ...countHost(host), reason, ...(host.failure?.task === undefined ? {} : { task: host.failure.task }), ...withNotes };
  };
  return {
    ok: runSucceeded(result),
    ...(runInterrupted(result) ? { interrupted: true as const } : {}),
    hosts: Object.fromEntries([...result].map(([name, host]) => [name, hostJson(host)])),
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

/** Ansible's PLAY RECAP, why each host that did not finish stopped, and the verdict. */
export function formatRecap(result: RunResult, check: boolean, action: PlaybookAction): string {
  const width = Math.max(...[...result.keys()].map((name) => name.length));
  const lines = ['', heading('PLAY RECAP')];
  for (const [name, host] of result) {
    const c = countHost(host);
    lines.push(`${name.padEnd(width)} : ok=${c.ok}  changed=${c.changed}  failed=${c.failed}  unreachable=${c.unreachable ? 1 : 0}`);
  }
  for (const [name, host] of result) {
    const failure = describeFailure(host);
    if (failure !== undefined) lines.push('', `${name}: ${failure}`);
  }
  const notes = formatNotes(result);
  if (notes.length > 0) lines.push('', heading('NOTES'), ...notes);
  lines.push('', verdict(result, check, action));
  return lines.join('\n');
}

/** Each note once, with the hosts it came from ("all hosts" when every host said it). */
function formatNotes(result: RunResult): string[] {
  const hostsOf = new Map<string, string[]>();
  for (const [name, host] of result) {
    for (const task of host.tasks) {
      if (task.notice !== true) continue;
      const key = `${task.task}: ${task.reason}`;
      hostsOf.set(key, [...(hostsOf.get(key) ?? []), name]);
    }
  }
  return [...hostsOf].map(([note, hosts]) => `${hosts.length === result.size && hosts.length > 1 ? 'all hosts' : hosts.join(', ')}: ${note}`);
}

/** One line: what the run did, and when some hosts did not finish, which, and what the rest did. */
function verdict(result: RunResult, check: boolean, action: PlaybookAction): string {
  const changed = [...result.values()].reduce((sum, host) => sum + countHost(host).changed, 0);
  const unreachable = [...result].filter(([, host]) => host.unreachable).map(([name]) => name);
  const interrupted = [...result].filter(([, host]) => host.interrupted !== undefined).map(([name]) => name);
  const failed = [...result].filter(([, host]) => !host.unreachable && host.interrupted === undefined && hostFailed(host)).map(([name]) => name);
  if (unreachable.length === 0 && failed.length === 0 && interrupted.length === 0) {
    if (changed === 0) return 'Result: ok, nothing changed: every host already matches the inventory.';
    if (check) return `Result: ok, ${changed} task(s) would change (check mode: nothing was changed).`;
    return `Result: ok, ${changed} task(s) changed.`;
  }
  const problems = [
    interrupted.length > 0 ? `${interrupted.join(', ')} did not finish` : '',
    unreachable.length > 0 ? `${unreachable.join(', ')} could not be reached` : '',
    failed.length > 0 ? `${failed.join(', ')} failed` : '',
  ].filter((problem) => problem !== '');
  const others = result.size - unreachable.length - failed.length - interrupted.length;
  const done = check ? 'checked (check mode: nothing was changed)' : action === 'up' ? 'brought up' : 'taken down';
  let rest: string;
  if (others > 0) rest = `the other ${others === 1 ? '1 host was' : `${others} hosts were`} ${done}`;
  else if (check || changed === 0) rest = 'nothing was changed';
  else rest = `no host was ${done} completely`;
  return `Result: ${interrupted.length > 0 ? 'INTERRUPTED' : 'FAILED'}: ${problems.join(' and ')}; ${rest}.`;
}
