// Applies one host's tasks in order. The facts of every task are read in one round trip and each
// task is planned from its own, so a host with nothing to change costs one remote command. A
// task that changes something runs its steps, then its facts and those of the later tasks (which
// its change may have moved: a package installed, a service started) are read again in one round
// trip: its own must now show nothing to change, the later tasks are planned from the rest.
// Once the run is stopping (Ctrl-C), a task whose steps have not started does not start them; a
// task's steps, once started, all run: they were planned together (a file and the restart that
// applies it), and cutting them apart could leave a host that reads as done but is not.
import { readFile } from 'node:fs/promises';
import { CommandTimeoutError, TaskError } from '../errors.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { readFactBatch } from './fact-batch.js';
import { NEVER_INTERRUPTED } from './interrupt.js';
import { FactParseError, Refusal, type FactQuery, type Plan, type Step } from './module.js';
import type { PreparedTask } from './prepare.js';

export type TaskStatus = 'ok' | 'changed' | 'failed';

export interface TaskResult {
  task: string;
  status: TaskStatus;
  reason: string;
  /** What ran, or in check mode would run, when the task changes. */
  steps?: Step[];
  /** The module's outputs once the task is done (in check mode: as the host is now). */
  outputs?: Record<string, unknown>;
  /** The task's `register:` name, when it has one. */
  register?: string;
  /** Its reason is for the recap's NOTES (a choice made, state kept on purpose). */
  notice?: boolean;
}

/** What `apply` returns instead when the run was stopping before the task's steps started. */
export const NOT_STARTED = 'not started';

/** A task's fact queries, by name, with what each command printed. */
type GatheredFacts = { name: string; query: FactQuery<unknown>; result: ExecResult }[];

/**
 * One host's tasks, applied one at a time in their order (`apply` takes them in that order only).
 * In check mode nothing runs, so every task is planned from the first read: a task after one that
 * would change is planned against the host as it is, not as that change would leave it.
 */
export class HostTasks {
  private next = 0;
  /** What the facts of tasks[from], tasks[from + 1], … printed at the last read. */
  private read: { from: number; facts: GatheredFacts[] } | undefined;

  /**
   * `redact` takes secrets out of the steps a result shows (they run as they are); once `stop`
   * is aborted no task starts its steps.
   */
  constructor(
    private readonly conn: Connection,
    private readonly tasks: readonly PreparedTask[],
    private readonly check: boolean,
    private readonly redact: (text: string) => string = (text) => text,
    private readonly stop: AbortSignal = NEVER_INTERRUPTED.stop,
  ) {}

  async apply(task: PreparedTask): Promise<TaskResult | typeof NOT_STARTED> {
    const index = this.next;
    if (this.tasks[index] !== task) throw new Error(`HostTasks.apply: '${task.name}' is not the next task of ${this.conn.host}`);
    this.next++;
    const before = this.parse(task, await this.factsOf(index));
    const first = this.plan(task, before);
    if (!first.changed) {
      return { task: task.name, status: 'ok', reason: this.redact(first.reason), ...noticeOf(first), ...this.outputs(task, before) };
    }
    if (this.check) {
      return { task: task.name, status: 'changed', reason: this.redact(`would change: ${first.reason}`), steps: this.shown(first.steps), ...noticeOf(first), ...this.outputs(task, before) };
    }
    if (this.stop.aborted) return NOT_STARTED;
    await runSteps(this.conn, task.name, first.steps);
    this.read = await this.readFrom(index);
    const facts = this.parse(task, await this.factsOf(index));
    const after = this.plan(task, facts);
    if (after.changed) {
      throw new TaskError(this.conn.host, task.name, `applied, but the host still differs: ${after.reason}`);
    }
    return { task: task.name, status: 'changed', reason: this.redact(first.reason), steps: this.shown(first.steps), ...noticeOf(first), ...this.outputs(task, facts) };
  }

  private outputs(task: PreparedTask, facts: Record<string, unknown>): { outputs?: Record<string, unknown>; register?: string } {
    const outputs = task.module.outputs?.(task.params, facts);
    if (outputs === undefined) return {};
    return task.register === undefined ? { outputs } : { outputs, register: task.register };
  }

  private shown(steps: Step[]): Step[] {
    return redactSteps(steps, this.redact);
  }

  private async factsOf(index: number): Promise<GatheredFacts> {
    this.read ??= await this.readFrom(index);
    const facts = this.read.facts[index - this.read.from];
    if (facts === undefined) throw new Error(`HostTasks: the facts of task ${index} were not read`);
    return facts;
  }

  /** Reads the facts of tasks[from] and of every task after it, in one batch. */
  private async readFrom(from: number): Promise<{ from: number; facts: GatheredFacts[] }> {
    const tasks = this.tasks.slice(from);
    const queries = tasks.map((task) =>
      Object.entries(task.module.facts(task.params) as Record<string, FactQuery<unknown>>).map(([name, query]) => ({ name, query, task: task.name })),
    );
    const flat = queries.flat();
    // Whatever stops the read fails the task being applied: the first of those read.
    const failure = (detail: string): TaskError => new TaskError(this.conn.host, tasks[0]?.name ?? '', detail);
    const secretOutput = flat.some((fact) => fact.query.secret === true);
    const batch = await readFactBatch(this.conn, flat.map((fact) => fact.query.command), { secretOutput }).catch((error: unknown) => {
      if (!(error instanceof CommandTimeoutError)) throw error;
      const which = tasks.length === 1 ? 'its facts' : `the facts of this task and the ${tasks.length - 1} after it`;
      throw failure(`reading ${which} did not finish within ${error.timeoutMs / 1000}s`);
    });
    if (!batch.ok) {
      const stopped = flat[batch.results.length];
      const where = stopped === undefined ? '' : `, in fact '${stopped.name}' of task '${stopped.task}'`;
      const output = tail({ stdout: '', stderr: batch.stderr });
      const detail = `cannot read the facts: the fact script ${batch.why} after ${batch.results.length} of ${flat.length}${where}`;
      throw failure(output === '' ? detail : `${detail}:\n${output}`);
    }
    let at = 0;
    const facts = queries.map((taskQueries) =>
      taskQueries.map(({ name, query }) => {
        const result = batch.results[at++];
        if (result === undefined) throw new Error('readFactBatch returned fewer results than commands');
        return { name, query, result };
      }),
    );
    return { from, facts };
  }

  private parse(task: PreparedTask, facts: GatheredFacts): Record<string, unknown> {
    return Object.fromEntries(facts.map(({ name, query, result }) => [name, parseFact(this.conn.host, task.name, name, query, result)]));
  }

  private plan(task: PreparedTask, values: Record<string, unknown>): Plan {
    try {
      return task.module.plan(task.params, values);
    } catch (error) {
      // A plan does not know the host; anything but a refusal is a bug and goes up unwrapped.
      if (error instanceof Refusal) throw new TaskError(this.conn.host, task.name, error.message);
      throw error;
    }
  }
}

function noticeOf(plan: Plan): { notice?: true } {
  return plan.notice === true ? { notice: true } : {};
}

/** Steps as shown: each script and file content through `redact`. */
export function redactSteps(steps: readonly Step[], redact: (text: string) => string): Step[] {
  return steps.map((step) => {
    if (step.kind === 'run') return { ...step, script: redact(step.script) };
    // An upload's bytes are the user's own file, never shown.
    return step.kind === 'put' ? { ...step, content: redact(step.content) } : step;
  });
}

function parseFact(host: string, taskName: string, name: string, query: FactQuery<unknown>, result: ExecResult): unknown {
  try {
    return query.parse(result);
  } catch (error) {
    if (!(error instanceof FactParseError)) throw error;
    throw new TaskError(host, taskName, `cannot read fact '${name}': ${error.message}\n${tail(result)}`);
  }
}

/** Consecutive scripts run as one `set -e` script: one round trip, stops at the first failure. */
async function runSteps(conn: Connection, taskName: string, steps: readonly Step[]): Promise<void> {
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const script = ['set -e', ...batch].join('\n');
    batch = [];
    const result = await conn.execScript(script);
    if (result.code !== 0) {
      throw new TaskError(conn.host, taskName, `command failed (exit ${result.code ?? result.signal}):\n${tail(result)}`);
    }
  };
  for (const step of steps) {
    if (step.kind === 'run') {
      batch.push(step.script);
    } else {
      await flush();
      const content = step.kind === 'put' ? step.content : await readFile(step.source);
      await conn.putFile(step.path, content, { mode: step.mode });
    }
  }
  await flush();
}

/** The last lines of what a command printed: enough to see why, not a wall of text. */
export function tail(result: Pick<ExecResult, 'stdout' | 'stderr'>, maxLines = 20): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.slice(-maxLines);
  const cut = lines.length - kept.length;
  return (cut > 0 ? [`… ${cut} lines above`, ...kept] : kept).map((l) => `  | ${l}`).join('\n');
}
