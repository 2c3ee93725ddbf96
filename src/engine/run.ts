// Runs prepared tasks on every host: hosts in parallel (up to `forks`), tasks in order within a
// host, one host's failure never stopping the others. Listr2 shows one live row per host.
import { Listr, type ListrTask } from 'listr2';
import { MeshctlError } from '../errors.js';
import type { Connection } from '../transport/connection.js';
import { applyTask } from './apply.js';
import type { PreparedTask } from './prepare.js';
import { listrRenderer, type ProgressMode } from './progress.js';
import type { HostResult, RunResult } from './result.js';

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

  const hostRows: ListrTask[] = [...tasksByHost].map(([name, tasks]) => ({
    title: name,
    task: (_ctx, row) => {
      const conn = connections.get(name);
      const hostResult = result.get(name);
      if (conn === undefined || hostResult === undefined) throw new Error(`no connection to ${name}`);
      return row.newListr(
        // Plain lines interleave across hosts: each says which host it is about.
        tasks.map((task) => taskRow(conn, task, hostResult, options.check, options.progress === 'plain' ? `${name}: ` : '')),
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
    rendererOptions: { collapseSubtasks: true, collapseErrors: false },
  }).run();
  return result;
}

function taskRow(conn: Connection, task: PreparedTask, hostResult: HostResult, check: boolean, prefix: string): ListrTask {
  return {
    title: `${prefix}${task.name}`,
    task: async (_ctx, row) => {
      try {
        const outcome = await applyTask(conn, task, check);
        hostResult.tasks.push(outcome);
        row.title = `${prefix}${task.name}: ${outcome.status}: ${outcome.reason}`;
      } catch (error) {
        const message = error instanceof MeshctlError ? error.message : String(error);
        hostResult.tasks.push({ task: task.name, status: 'failed', reason: message });
        hostResult.error = `task '${task.name}' failed: ${message}`;
        throw error instanceof Error ? error : new Error(message);
      }
    },
  };
}
