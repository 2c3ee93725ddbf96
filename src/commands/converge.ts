// `meshctl up` and `meshctl down`: run the backend's playbook on every host (or those of
// --limit) that can be reached and locked, and print the recap. The plan always covers the whole
// inventory, so the hosts run build their tunnels and routes toward the others as well: a host
// left out, or unreachable this time, joins by itself on a later run. `--diff` shows each
// changing task's file diffs and scripts (`meshctl plan` is `up --check --diff`); `--confirm`
// plans first, shows that, and applies only once the operator says yes. Interrupted (Ctrl-C), it
// starts nothing new, lets the running steps finish, and ends as every run does: sessions closed
// (so their run locks go), the run recorded in the state file, the recap, exit 130.
import type { PlaybookAction } from '../engine/playbook.js';
import { chooseProgress } from '../engine/progress.js';
import { formatPlan, planJson, wantsColour } from '../engine/plan-output.js';
import { countHost, formatChanges, formatRecap, resultJson, runExitCode, runSucceeded, type RunResult } from '../engine/result.js';
import { NEVER_INTERRUPTED, type InterruptSignals } from '../engine/interrupt.js';
import { runPlays } from '../engine/run.js';
import { withReachableSessions } from '../engine/sessions.js';
import type { Output } from '../output.js';
import { runLockHolder } from '../transport/run-lock.js';
import { ExitCode, StateStoreError, UsageError } from '../errors.js';
import { findingsJson, formatFindings, preflight, stoppingFindings, type Finding } from '../preflight/index.js';
import { confirmApply, terminalPrompt, type Prompt } from './confirm.js';
import { recordLastRuns, reserveSlices, sameSlices } from '../state/allocations.js';
import { lastRuns } from './last-run.js';
import { describeLocation } from '../state/location.js';
import { currentRunLog } from '../logging/run-log.js';
import { limitHosts, loadContext, tasksFor, type CommandContext } from './context.js';
import { buildCacheRoot } from '../build/cache.js';
import { buildOnBuildHost } from '../build/session.js';
import { withOvsBuild, type BuildUse } from '../build/up.js';
import type { Inventory } from '../inventory/types.js';

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
  /** Show what each changing task's steps do: file diffs and scripts. */
  diff?: boolean;
  /** Plan first, show it and ask before applying. */
  confirm?: boolean;
  /** `-y`: the answer to --confirm's question is yes. */
  yes?: boolean;
  /** Go on past the preflight findings that are safe to skip (up and plan). */
  force?: boolean;
}

/**
 * `ovs.source: build`: `up` builds (or takes the build from the cache) before it plans; `plan`
 * and `up --check` plan with a cached build (refused without one), `down` purges a cached build's
 * packages (else the distribution's names).
 */
async function ovsBuildFor(context: CommandContext, action: PlaybookAction, options: ConvergeOptions, output: Output): Promise<Inventory> {
  const cacheRoot = buildCacheRoot();
  const use: BuildUse = action === 'down' ? 'cached-if-any' : options.check ? 'cached-or-refuse' : 'build';
  const log = (line: string): void => output.err(line);
  const settings = context.inventory.ovsBuild;
  return withOvsBuild(context.inventory, use, {
    cacheRoot,
    log,
    build: () => buildOnBuildHost(context.inventory, { source: settings?.source ?? { kind: 'distro' }, format: settings?.format ?? 'deb' }, { connect: context.connect, cacheRoot, lockTimeout: options.lockTimeout, log }),
  });
}

export async function converge(
  action: PlaybookAction,
  options: ConvergeOptions,
  output: Output,
  prompt: Prompt = terminalPrompt,
  interrupt: InterruptSignals = NEVER_INTERRUPTED,
): Promise<number> {
  if (options.confirm === true && (options.check || options.json)) {
    throw new UsageError(`--confirm cannot go with ${options.check ? '--check' : '--json'}: it asks on the terminal before applying`);
  }
  const read = await loadContext(options.inventory, { limit: options.limit });
  for (const warning of read.warnings) output.err(warning);
  const loaded = { ...read, inventory: await ovsBuildFor(read, action, options, output) };
  const { inventory } = loaded;
  const hosts = limitHosts(inventory, options.limit);
  const playbookOptions = { purge: options.purge, playbookFile: options.playbook };
  let context = loaded;
  let tasks = await tasksFor(context, action, hosts, playbookOptions);

  // Recorded before anything runs, so hosts keep their slices even if this run stops half way.
  // Another run may have recorded slices since the context was read: then this plan is the newer one's.
  if (action === 'up' && !options.check && options.confirm !== true) {
    const reserved = await reserveSlices(context.state, inventory);
    if (!sameSlices(reserved, context.plan)) {
      context = { ...context, plan: reserved };
      tasks = await tasksFor(context, action, hosts, playbookOptions);
    }
  }
  const { plan } = context;

  const progress = chooseProgress(options);
  const lock = {
    timeoutSeconds: options.lockTimeout,
    holder: runLockHolder(),
    onWait: (host: string, holder: string) => output.err(`waiting for ${host}: locked by ${holder}`),
  };
  const colour = wantsColour();
  let findings: Finding[] = [];
  // Planned and applied in the same sessions, so no other run can change a host in between.
  const outcome = await withReachableSessions(hosts, context.connect, { forks: options.forks, lock }, async (sessions): Promise<RunResult | number> => {
    if (action === 'up') {
      // Before any task, also in check mode: a plan should say what would stop `up`.
      findings = await preflight(inventory, plan, sessions.connections, options.forks);
      const force = options.force === true;
      const stopping = stoppingFindings(findings, force);
      if (stopping.length > 0) {
        if (options.json) output.out(JSON.stringify({ ok: false, preflight: findingsJson(findings) }));
        else output.err(formatFindings(findings, force));
        const forcible = stopping.filter((finding) => finding.forcible).length;
        const hint = forcible === 0 ? '' : forcible === stopping.length ? ' (--force skips them)' : ` (--force skips ${forcible} of them)`;
        output.err(`meshctl: nothing was changed: preflight found ${stopping.length} problem(s)${hint}`);
        return ExitCode.badInput;
      }
      if (findings.length > 0 && !options.json) output.err(formatFindings(findings, force));
    }
    const runOn = (check: boolean): Promise<RunResult> => runPlays(tasks.plays, sessions, { forks: options.forks, check, progress, interrupt, prepare: tasks.prepare, onSecret: (secret) => currentRunLog()?.addSecret(secret) });
    if (options.confirm !== true) return runOn(options.check);
    const planned = await runOn(true);
    const shown = formatPlan(planned, { colour });
    if (shown !== '') output.out(`\n${shown}`);
    output.out(formatRecap(planned, true, action));
    const changing = [...planned.values()].filter((host) => countHost(host).changed > 0).length;
    if (!runSucceeded(planned)) {
      output.err('meshctl: not applying: the plan did not finish on every host (see above)');
      return runExitCode(planned);
    }
    if (changing === 0) return 0;
    if (interrupt.stop.aborted) {
      output.err('Nothing was applied: interrupted.');
      return ExitCode.interrupted;
    }
    if (!(await confirmApply(changing, { yes: options.yes === true, prompt }))) {
      output.err('Nothing was applied.');
      return 0;
    }
    if (action === 'up' && !sameSlices(await reserveSlices(context.state, inventory), plan)) {
      throw new StateStoreError(`another run recorded other slices in the ${describeLocation(context.state.location)} while this one waited for the answer: nothing was applied; run it again to see the new plan`);
    }
    return runOn(false);
  });
  if (typeof outcome === 'number') return outcome;
  const result = outcome;
  // --confirm's own plan is not this result: what it returns here was applied.
  if (!options.check) {
    // The hosts' state is what counts: a record that cannot be written costs a warning, not the run.
    await recordLastRuns(context.state, inventory, lastRuns(result, action, new Date())).catch((error: unknown) => {
      output.err(`meshctl: warning: could not record this run in the state ${describeLocation(context.state.location)}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  if (options.json) {
    const json = { ...resultJson(result), ...(findings.length === 0 ? {} : { preflight: findingsJson(findings) }) };
    if (options.diff === true) {
      const tasksOf = planJson(result);
      for (const [name, host] of Object.entries(json.hosts)) Object.assign(host, { tasks: tasksOf[name] ?? [] });
    }
    output.out(JSON.stringify(json));
  } else {
    // The live rows showed only where each host was; plain mode printed every reason already.
    const changes = options.diff === true ? formatPlan(result, { colour }) : progress === 'live' ? formatChanges(result) : '';
    if (changes !== '') output.out(options.diff === true ? `\n${changes}` : changes);
    output.out(formatRecap(result, options.check, action));
  }
  return runExitCode(result);
}
