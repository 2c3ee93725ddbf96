// Runs prepared tasks on every host: hosts in parallel (up to `forks`), tasks in order within a
// host (their facts read together: HostTasks), one host's failure never stopping the others. A
// bug in meshctl (anything but a MeshctlError) stops its host too, and once the other hosts are
// done it is thrown as it is, so the CLI prints its stack (exit 70) instead of calling it a
// failed task. On a terminal Listr2 shows one live row per host with the task it is on; in plain
// mode every finished task is a line of its own.
import { Listr, type ListrTask } from 'listr2';
import { MeshctlError } from '../errors.js';
import type { Connection } from '../transport/connection.js';
import { HostTasks, type TaskResult } from './apply.js';
import type { PreparedTask } from './prepare.js';
import { listrRenderer, type ProgressMode } from './progress.js';
import { countHost, type HostResult, type RunResult } from './result.js';

export interface RunTasksOptions {
  forks: number;
  check: boolean;
  progress: ProgressMode;
}

export async function runTasks(
  tasksByHost: ReadonlyMap<string, PreparedTask[]>,
  connections: ReadonlyMap<string, Connection>,
  options: RunTasksOptions,
): Promise<RunResult> {
  const result: RunResult = new Map();
  for (const name of tasksByHost.keys()) result.set(name, { tasks: [], unreachable: false });
  const bugs: unknown[] = [];

  const hostRows: ListrTask[] = [...tasksByHost].map(([name, tasks]) => ({
    title: name,
    task: async (_ctx, row) => {
      const conn = connections.get(name);
      const hostResult = result.get(name);
      if (conn === undefined || hostResult === undefined) {
        const bug = new Error(`runTasks: no connection to ${name}`);
        bugs.push(bug);
        throw bug;
      }
      const hostTasks = new HostTasks(conn, tasks, options.check);
      const apply = (task: PreparedTask): Promise<TaskResult> => applyRecorded(hostTasks, task, hostResult, bugs);
      if (options.progress === 'live') {
        for (const task of tasks) {
          row.title = `${name} › ${task.name}`;
          await apply(task);
        }
        const c = countHost(hostResult);
        row.title = `${name}: ok=${c.ok} changed=${c.changed}`;
        return undefined;
      }
      // Plain lines interleave across hosts: each names its host.
      return row.newListr(
        tasks.map((task) => ({
          title: `${name}: ${task.name}`,
          task: async (_c, taskRow) => {
            const outcome = await apply(task);
            taskRow.title = `${name}: ${task.name}: ${outcome.status}: ${outcome.reason}`;
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
  }).run();
  if (bugs.length > 0) throw bugs[0];
  return result;
}

/**
 * Applies one task and records its outcome; a failure is recorded, then thrown to stop the host.
 * A bug is also kept in `bugs`, for runTasks to throw once every host is done.
 */
async function applyRecorded(hostTasks: HostTasks, task: PreparedTask, hostResult: HostResult, bugs: unknown[]): Promise<TaskResult> {
  try {
    const outcome = await hostTasks.apply(task);
    hostResult.tasks.push(outcome);
    return outcome;
  } catch (error) {
    const meant = error instanceof MeshctlError;
    if (!meant) bugs.push(error);
    const message = error instanceof Error ? error.message : String(error);
    const reason = meant ? message : `internal error: ${message}`;
    hostResult.tasks.push({ task: task.name, status: 'failed', reason });
    hostResult.error = `task '${task.name}' failed: ${reason}`;
    throw error instanceof Error ? error : new Error(message);
  }
}
