// Runs prepared tasks on every host: hosts in parallel (up to `forks`), tasks in order within a
// host (their facts read together: HostTasks), one host's failure never stopping the others.
// Hosts that the sessions set aside (unreachable, or locked by another run) are recorded as such
// and run nothing; a connection lost during a task makes its host unreachable from there. A
// bug in meshctl (anything but a MeshctlError) stops its host too, and once the other hosts are
// done it is thrown as it is, so the CLI prints its stack (exit 70) instead of calling it a
// failed task. On a terminal Listr2 shows one live row per host with the task it is on; in plain
// mode every finished task is a line of its own. Once `interrupt.stop` is aborted no host starts
// another task (nor, in runPlays, another play) and each host left unfinished is marked
// interrupted; once `interrupt.abort` is, the tasks still running are no longer waited for.
import { Listr, type ListrTask } from 'listr2';
import { ConnectError, detailOf, MeshctlError, TaskError } from '../errors.js';
import { Redactor } from '../logging/redact.js';
import type { Connection } from '../transport/connection.js';
import { HostTasks, NOT_STARTED, redactSteps, type TaskResult } from './apply.js';
import { NEVER_INTERRUPTED, unlessAborted, type InterruptSignals } from './interrupt.js';
import type { PreparedPlay, PreparedTask, Registered } from './prepare.js';
import { listrRenderer, type ProgressMode } from './progress.js';
import { countHost, notLockedHost, unreachableHost, type HostResult, type RunResult } from './result.js';

export interface RunTasksOptions {
  forks: number;
  check: boolean;
  progress: ProgressMode;
  /** Takes secrets out of the steps that results show. */
  redact?: (text: string) => string;
  /** Ctrl-C: stop starting tasks, then stop waiting for them. */
  interrupt?: InterruptSignals;
}

/** The hosts' sessions (see openSessions): connected ones, and those set aside with the reason. */
export interface RunHosts {
  connections: ReadonlyMap<string, Connection>;
  unreachable?: ReadonlyMap<string, string>;
  notLocked?: ReadonlyMap<string, string>;
}

/** The result lists every host of `tasksByHost`, in its order. */
export async function runTasks(tasksByHost: ReadonlyMap<string, PreparedTask[]>, hosts: RunHosts, options: RunTasksOptions): Promise<RunResult> {
  const { connections } = hosts;
  const result: RunResult = new Map();
  const running: [string, PreparedTask[]][] = [];
  for (const [name, tasks] of tasksByHost) {
    const unreachable = hosts.unreachable?.get(name);
    const notLocked = hosts.notLocked?.get(name);
    if (unreachable !== undefined) result.set(name, unreachableHost(unreachable));
    else if (notLocked !== undefined) result.set(name, notLockedHost(notLocked));
    else {
      result.set(name, { tasks: [], unreachable: false });
      running.push([name, tasks]);
    }
  }
  const bugs: unknown[] = [];
  const interrupt = options.interrupt ?? NEVER_INTERRUPTED;

  const hostRows: ListrTask[] = running.map(([name, tasks]) => ({
    title: name,
    task: async (_ctx, row) => {
      const conn = connections.get(name);
      const hostResult = result.get(name);
      if (conn === undefined || hostResult === undefined) {
        const bug = new Error(`runTasks: no connection to ${name}`);
        bugs.push(bug);
        throw bug;
      }
      const hostTasks = new HostTasks(conn, tasks, options.check, options.redact, interrupt.stop);
      /** The task's outcome, or undefined when the run is being interrupted and the host stops here. */
      const apply = async (task: PreparedTask): Promise<TaskResult | undefined> => {
        if (hostResult.interrupted !== undefined) return undefined;
        if (interrupt.stop.aborted) {
          hostResult.interrupted = { task: task.name, running: false };
          return undefined;
        }
        return applyRecorded(hostTasks, task, hostResult, bugs, interrupt.abort);
      };
      if (options.progress === 'live') {
        for (const task of tasks) {
          row.title = `${name} › ${task.name}`;
          if ((await apply(task)) === undefined) break;
        }
        const c = countHost(hostResult);
        row.title = `${name}: ok=${c.ok} changed=${c.changed}${hostResult.interrupted === undefined ? '' : ' (interrupted)'}`;
        return undefined;
      }
      // Plain lines interleave across hosts: each names its host.
      return row.newListr(
        tasks.map((task) => ({
          title: `${name}: ${task.name}`,
          task: async (_c, taskRow) => {
            const outcome = await apply(task);
            if (outcome === undefined) taskRow.skip(`${name}: ${task.name}: interrupted`);
            else taskRow.title = `${name}: ${task.name}: ${outcome.status}: ${outcome.reason}`;
          },
        })),
        { concurrent: false, exitOnError: true },
      );
    },
  }));

  const renderer = listrRenderer(options.progress);
  await new Listr(hostRows, {
    concurrent: Math.max(1, options.forks),
    exitOnError: false,
    renderer,
    fallbackRenderer: renderer === 'silent' ? 'silent' : 'simple',
    rendererOptions: { collapseErrors: false },
    // Listr2's own SIGINT handler exits 127 at once; interrupts are the CLI's (see `interrupt`).
    registerSignalListeners: false,
  }).run();
  if (bugs.length > 0) throw bugs[0];
  return result;
}

/**
 * Applies one task and records its outcome; a failure is recorded, then thrown to stop the host
 * (a lost connection also marks it unreachable). A bug is also kept in `bugs`, for runTasks to
 * throw once every host is done. Undefined when the host is interrupted here: the run stopping
 * before the task's steps started, or aborted (`abort`) while it ran; what it does after that
 * is not waited for, nor recorded.
 */
async function applyRecorded(
  hostTasks: HostTasks,
  task: PreparedTask,
  hostResult: HostResult,
  bugs: unknown[],
  abort: AbortSignal,
): Promise<TaskResult | undefined> {
  try {
    const outcome = await unlessAborted(hostTasks.apply(task), abort, 'aborted' as const);
    if (outcome === 'aborted' || outcome === NOT_STARTED) {
      hostResult.interrupted = { task: task.name, running: outcome === 'aborted' };
      return undefined;
    }
    hostResult.tasks.push(outcome);
    return outcome;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof MeshctlError)) bugs.push(error);
    const reason = error instanceof MeshctlError ? reasonIn(task.name, error) : `internal error: ${message}`;
    hostResult.tasks.push({ task: task.name, status: 'failed', reason });
    hostResult.failure = { task: task.name, reason };
    if (error instanceof ConnectError) hostResult.unreachable = true;
    throw error instanceof Error ? error : new Error(message);
  }
}

/** The error's message without the host's name, nor the task's when it is the one applied. */
function reasonIn(taskName: string, error: MeshctlError): string {
  if (error instanceof TaskError) return error.task === taskName ? error.detail : `${error.task}: ${error.detail}`;
  return detailOf(error);
}

export interface RunPlaysOptions extends RunTasksOptions {
  /**
   * The plays prepared again with what the plays so far registered (see prepareTasks); without
   * it the plays run as given. Asked after each play whose tasks registered something.
   */
  prepare?: (registered: Registered) => PreparedPlay[];
  /** Told each secret output (a join token), e.g. for the run log to take it out. */
  onSecret?: (secret: string) => void;
}

/**
 * Runs the plays one after the other, each with runTasks on its hosts, into one result. A host
 * that failed or was lost in a play runs none of the later ones (Ansible's rule); when a task of
 * a play with `anyErrorsFatal` fails anywhere, no later play runs on any host, and each host that would
 * have gone on is failed with that reason, so the recap and the exit code say the run stopped.
 * What a play's tasks register reaches the later plays through `options.prepare`.
 */
export async function runPlays(given: readonly PreparedPlay[], hosts: RunHosts, options: RunPlaysOptions): Promise<RunResult> {
  let plays = given;
  const registered = new Map<string, Map<string, Record<string, unknown>>>();
  const secrets = new Redactor();
  const redact = (text: string): string => secrets.text(options.redact?.(text) ?? text);
  const result: RunResult = new Map();
  // Listed in inventory order: the widest play's order first (every play keeps inventory order).
  const widestFirst = [...plays].sort((a, b) => b.tasks.size - a.tasks.size);
  for (const play of widestFirst) for (const name of play.tasks.keys()) if (!result.has(name)) result.set(name, { tasks: [], unreachable: false });
  const interrupt = options.interrupt ?? NEVER_INTERRUPTED;
  for (let index = 0; index < plays.length; index++) {
    const play = plays[index];
    if (play === undefined) break;
    if (interrupt.stop.aborted) {
      markNotStarted(plays.slice(index), result);
      break;
    }
    // A play with nothing to do on a host (every task `when`-ed out) costs it no round trip.
    const runnable = new Map([...play.tasks].filter(([name, tasks]) => tasks.length > 0 && !stopped(result.get(name))));
    if (runnable.size === 0) continue;
    const played = await runTasks(runnable, hosts, { ...options, redact });
    let registeredHere = false;
    for (const [name, outcome] of played) {
      const host = result.get(name);
      if (host === undefined) continue;
      registeredHere = keepRegistered(name, outcome, play, registered, (secret) => {
        secrets.add(secret);
        options.onSecret?.(secret);
      }) || registeredHere;
      host.tasks.push(...outcome.tasks);
      host.unreachable ||= outcome.unreachable;
      if (outcome.failure !== undefined) host.failure ??= outcome.failure;
      if (outcome.interrupted !== undefined) host.interrupted ??= outcome.interrupted;
    }
    // An unreachable host is not a failure of the play: the others go on, it joins on a later run.
    const failedHere = [...played].filter(([, outcome]) => stopped(outcome) && !outcome.unreachable && outcome.interrupted === undefined).map(([name]) => name);
    if (play.anyErrorsFatal && failedHere.length > 0) {
      const later = plays.slice(index + 1).flatMap((next) => [...next.tasks.keys()]);
      const reason = `not run: ${failedHere.join(', ')} failed in '${play.name}', which must succeed on every host before the run goes on`;
      for (const name of new Set(later)) {
        const host = result.get(name);
        if (host === undefined || stopped(host)) continue;
        host.tasks.push({ task: plays[index + 1]?.name ?? play.name, status: 'failed', reason });
        host.failure = { task: plays[index + 1]?.name ?? play.name, reason };
      }
      break;
    }
    if (registeredHere && options.prepare !== undefined) plays = options.prepare(registered);
  }
  // A secret learnt in a play may stand in what an earlier one printed of itself.
  for (const host of result.values()) {
    for (const task of host.tasks) {
      task.reason = redact(task.reason);
      if (task.steps !== undefined) task.steps = redactSteps(task.steps, redact);
    }
    if (host.failure !== undefined) host.failure.reason = redact(host.failure.reason);
  }
  return result;
}

/**
 * Moves the outputs of a host's registering tasks into `registered` (secret ones also to
 * `onSecret`) and off its results, which are printed. True when it registered anything.
 */
function keepRegistered(
  hostName: string,
  outcome: HostResult,
  play: PreparedPlay,
  registered: Map<string, Map<string, Record<string, unknown>>>,
  onSecret: (secret: string) => void,
): boolean {
  let any = false;
  for (const task of outcome.tasks) {
    const { outputs, register } = task;
    delete task.outputs;
    if (register === undefined || outputs === undefined) continue;
    const byHost = registered.get(register) ?? new Map<string, Record<string, unknown>>();
    byHost.set(hostName, outputs);
    registered.set(register, byHost);
    any = true;
    const module = play.tasks.get(hostName)?.find((t) => t.register === register)?.module;
    for (const key of module?.secretOutputs ?? []) {
      const value = outputs[key];
      if (typeof value === 'string' && value !== '') onSecret(value);
    }
  }
  return any;
}

function stopped(host: HostResult | undefined): boolean {
  return host !== undefined && (host.unreachable || host.failure !== undefined || host.interrupted !== undefined);
}

/** Each host that still had tasks in these plays is interrupted before the first of them. */
function markNotStarted(plays: readonly PreparedPlay[], result: RunResult): void {
  for (const play of plays) {
    for (const [name, tasks] of play.tasks) {
      const host = result.get(name);
      const first = tasks[0];
      if (host === undefined || first === undefined || stopped(host)) continue;
      host.interrupted = { task: first.name, running: false };
    }
  }
}
