// `meshctl up` and `meshctl down`: run the backend's playbook on every host (or those of
// --limit) that can be reached and locked, and print the recap. The plan always covers the whole
// inventory, so the hosts run build their tunnels and routes toward the others as well: a host
// left out, or unreachable this time, joins by itself on a later run.
import path from 'node:path';
import { loadPlaybook, playbookDir, type PlaybookAction } from '../engine/playbook.js';
import { prepareTasks } from '../engine/prepare.js';
import { chooseProgress } from '../engine/progress.js';
import { formatChanges, formatRecap, resultJson, runExitCode } from '../engine/result.js';
import { runTasks } from '../engine/run.js';
import { withReachableSessions } from '../engine/sessions.js';
import { modules } from '../modules/index.js';
import type { Output } from '../output.js';
import { runLockHolder } from '../transport/run-lock.js';
import { limitHosts, loadContext } from './context.js';

export interface ConvergeOptions {
  inventory: string;
  forks: number;
  check: boolean;
  json: boolean;
  purge: boolean;
  /** `--limit`: comma-separated host and group names. */
  limit?: string;
  /** Seconds to wait for hosts whose run lock another run holds. */
  lockTimeout: number;
  /** Overrides playbooks/<backend>.yaml. */
  playbook?: string;
}

export async function converge(action: PlaybookAction, options: ConvergeOptions, output: Output): Promise<number> {
  const context = await loadContext(options.inventory);
  const { inventory, plan } = context;
  const hosts = limitHosts(inventory, options.limit);
  const playbookFile = options.playbook ?? path.join(playbookDir(), inventory.backend.playbook);
  const playbook = await loadPlaybook(playbookFile, modules);
  // Every host's tasks are rendered and checked, also outside the limit: bad input touches nothing.
  const allTasks = prepareTasks(playbook, action, inventory, plan, { purge: options.purge });
  const tasks = new Map(hosts.map((host) => [host.name, allTasks.get(host.name) ?? []]));

  const progress = chooseProgress(options);
  const lock = {
    timeoutSeconds: options.lockTimeout,
    holder: runLockHolder(),
    onWait: (host: string, holder: string) => output.err(`waiting for ${host}: locked by ${holder}`),
  };
  const result = await withReachableSessions(hosts, context.connect, { forks: options.forks, lock }, (sessions) =>
    runTasks(tasks, sessions, { forks: options.forks, check: options.check, progress }),
  );

  if (options.json) output.out(JSON.stringify(resultJson(result)));
  else {
    // The live rows showed only where each host was; plain mode printed every reason already.
    const changes = progress === 'live' ? formatChanges(result) : '';
    if (changes !== '') output.out(changes);
    output.out(formatRecap(result, options.check, action));
  }
  return runExitCode(result);
}
