// `meshctl up` and `meshctl down`: run the backend's playbook on every host and print the recap.
import path from 'node:path';
import { ExitCode } from '../errors.js';
import { loadPlaybook, playbookDir, type PlaybookAction } from '../engine/playbook.js';
import { prepareTasks } from '../engine/prepare.js';
import { chooseProgress } from '../engine/progress.js';
import { formatChanges, formatRecap, resultJson, runSucceeded, type RunResult } from '../engine/result.js';
import { runTasks } from '../engine/run.js';
import { describeUnreachable, withSessions } from '../engine/sessions.js';
import { modules } from '../modules/index.js';
import type { Output } from '../output.js';
import { loadContext } from './context.js';

export interface ConvergeOptions {
  inventory: string;
  forks: number;
  check: boolean;
  json: boolean;
  purge: boolean;
  /** Overrides playbooks/<backend>.yaml. */
  playbook?: string;
}

export async function converge(action: PlaybookAction, options: ConvergeOptions, output: Output): Promise<number> {
  const context = await loadContext(options.inventory);
  const { inventory, plan } = context;
  const playbookFile = options.playbook ?? path.join(playbookDir(), inventory.backend.playbook);
  const playbook = await loadPlaybook(playbookFile, modules);
  const tasks = prepareTasks(playbook, action, inventory, plan, { purge: options.purge });

  const progress = chooseProgress(options);
  const outcome = await withSessions(inventory.hosts, context.connect, { forks: options.forks }, (connections) =>
    runTasks(tasks, connections, { forks: options.forks, check: options.check, progress }),
  );

  // Unreachable hosts: nothing ran anywhere. The reasons are printed once, by
  // describeUnreachable; the recap only counts them.
  const result: RunResult = outcome.connected
    ? outcome.value
    : new Map(inventory.hosts.map((host) => [host.name, { tasks: [], unreachable: outcome.unreachable.has(host.name) }]));

  if (options.json) output.out(JSON.stringify(resultJson(result)));
  else {
    if (!outcome.connected) output.err(describeUnreachable(outcome.unreachable));
    // The live rows showed only where each host was; plain mode printed every reason already.
    const changes = progress === 'live' ? formatChanges(result) : '';
    if (changes !== '') output.out(changes);
    output.out(formatRecap(result, options.check));
  }
  if (!outcome.connected) return ExitCode.unreachable;
  return runSucceeded(result) ? ExitCode.ok : ExitCode.hostFailed;
}
