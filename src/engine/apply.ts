// Runs one prepared task on one host: gather facts, plan, apply the steps, and check that a
// second look at the facts finds nothing left to change.
import { TaskError } from '../errors.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { FactParseError, Refusal, type FactQuery, type Plan, type Step } from './module.js';
import type { PreparedTask } from './prepare.js';

export type TaskStatus = 'ok' | 'changed' | 'failed';

export interface TaskResult {
  task: string;
  status: TaskStatus;
  reason: string;
  /** In check mode: what would run. */
  steps?: Step[];
}

export async function applyTask(conn: Connection, task: PreparedTask, check: boolean): Promise<TaskResult> {
  const first = await planTask(conn, task);
  if (!first.changed) return { task: task.name, status: 'ok', reason: first.reason };
  if (check) return { task: task.name, status: 'changed', reason: `would change: ${first.reason}`, steps: first.steps };
  await runSteps(conn, task.name, first.steps);
  const after = await planTask(conn, task);
  if (after.changed) {
    throw new TaskError(conn.host, task.name, `applied, but the host still differs: ${after.reason}`);
  }
  return { task: task.name, status: 'changed', reason: first.reason };
}

export async function planTask(conn: Connection, task: PreparedTask): Promise<Plan> {
  const facts = await gatherFacts(conn, task.name, task.module.facts(task.params));
  try {
    return task.module.plan(task.params, facts);
  } catch (error) {
    // A plan does not know the host; anything but a refusal is a bug and goes up unwrapped.
    if (error instanceof Refusal) throw new TaskError(conn.host, task.name, error.message);
    throw error;
  }
}

/** Every fact of a task is read concurrently over the host's one connection (one round trip). */
export async function gatherFacts<F>(
  conn: Connection,
  taskName: string,
  queries: { [K in keyof F]: FactQuery<F[K]> },
): Promise<F> {
  const entries = Object.entries(queries) as [string, FactQuery<unknown>][];
  const values = await Promise.all(
    entries.map(async ([name, query]) => {
      const result = await conn.execScript(query.command);
      try {
        return [name, query.parse(result)] as const;
      } catch (error) {
        if (!(error instanceof FactParseError)) throw error;
        throw new TaskError(conn.host, taskName, `cannot read fact '${name}': ${error.message}\n${tail(result)}`);
      }
    }),
  );
  return Object.fromEntries(values) as F;
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
      await conn.putFile(step.path, step.content, { mode: step.mode });
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
