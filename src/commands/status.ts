// `meshctl status`: per host, the slice it holds (from the allocation record, or what the next
// `up` would give it), whether it can be reached, and whether its mesh is up: the backend's `up`
// tasks in check mode, so "up" means the next `up` would change nothing there, and how the last
// `up`/`down` there ended, and where that record lives (the state file, etcd or Consul). Changes nothing
// and takes no run lock (like `exec`), so it can watch a fleet while another run works on it.
import { countHost, type HostResult } from '../engine/result.js';
import { runPlays } from '../engine/run.js';
import { withReachableSessions } from '../engine/sessions.js';
import { ExitCode } from '../errors.js';
import { describeLocation, type StateLocation } from '../state/location.js';
import { recordedLastRuns, recordedSlices, type LastRun } from '../state/record.js';
import type { Output } from '../output.js';
import { limitHosts, loadContext, tasksFor } from './context.js';
import { describeLastRun } from './last-run.js';

export interface StatusOptions {
  inventory: string;
  limit?: string;
  forks: number;
  json: boolean;
}

export interface HostStatus {
  subnet: string;
  /** The slice is in the allocation record (an `up` gave it), not only planned. */
  recorded: boolean;
  reachable: boolean;
  /** Every `up` task finds nothing to change; null when the host could not be asked. */
  mesh_up: boolean | null;
  /** Tasks that would change, with their reasons. */
  drift: { task: string; reason: string }[];
  reason?: string;
  /** How the last `up`/`down` that was not check mode ended here; null before the first. */
  last_run: LastRun | null;
}

export async function status(options: StatusOptions, output: Output): Promise<number> {
  const context = await loadContext(options.inventory, { limit: options.limit });
  for (const warning of context.warnings) output.err(warning);
  const { inventory, plan } = context;
  const hosts = limitHosts(inventory, options.limit);
  const recorded = recordedSlices(context.record, inventory.mesh) ?? new Map<string, number>();
  const lastRuns = recordedLastRuns(context.record);
  const tasks = await tasksFor(context, 'up', hosts, { purge: false });

  const result = await withReachableSessions(hosts, context.connect, { forks: options.forks }, (sessions) =>
    runPlays(tasks.plays, sessions, { forks: options.forks, check: true, progress: 'silent', prepare: tasks.prepare }),
  );
  const report: Record<string, HostStatus> = {};
  for (const host of hosts) {
    const held = plan.hosts.get(host.name);
    const outcome = result.get(host.name);
    const slice = held?.slice ?? '';
    report[host.name] = hostStatus(inventory.backend.containerRange?.(inventory.mesh as never, slice) ?? slice, recorded.get(host.name) === held?.index, outcome, lastRuns.get(host.name));
  }
  if (options.json) output.out(JSON.stringify({ state: context.state.location, hosts: report }));
  else output.out(formatStatus(inventory.backend.name, report, context.state.location));
  const all = Object.values(report);
  if (all.some((h) => !h.reachable)) return ExitCode.unreachable;
  return all.every((h) => h.mesh_up === true) ? ExitCode.ok : ExitCode.hostFailed;
}

export function hostStatus(subnet: string, recorded: boolean, outcome: HostResult | undefined, lastRun?: LastRun): HostStatus {
  const last_run = lastRun ?? null;
  if (outcome === undefined || outcome.unreachable) {
    const status: HostStatus = { subnet, recorded, reachable: false, mesh_up: null, drift: [], last_run };
    if (outcome?.failure !== undefined) status.reason = outcome.failure.reason;
    return status;
  }
  const failed = countHost(outcome).failed > 0 || outcome.failure !== undefined;
  const drift = outcome.tasks.filter((t) => t.status === 'changed').map((t) => ({ task: t.task, reason: t.reason }));
  const status: HostStatus = { subnet, recorded, reachable: true, mesh_up: failed ? null : drift.length === 0, drift, last_run };
  if (failed) {
    const task = outcome.failure?.task ?? outcome.tasks.find((t) => t.status === 'failed')?.task;
    const reason = outcome.failure?.reason ?? outcome.tasks.find((t) => t.status === 'failed')?.reason ?? 'a task failed';
    status.reason = task === undefined ? reason : `${task}: ${reason}`;
  }
  return status;
}

/** One line per host, then what differs where the mesh is not up. */
export function formatStatus(backend: string, report: Record<string, HostStatus>, state: StateLocation, now: Date = new Date()): string {
  const names = Object.keys(report);
  const width = Math.max(4, ...names.map((n) => n.length));
  const meshOf = (h: HostStatus): string => (h.mesh_up === null ? '?' : h.mesh_up ? 'up' : `drift (${h.drift.length} task${h.drift.length === 1 ? '' : 's'})`);
  const meshWidth = Math.max(4, ...Object.values(report).map((h) => meshOf(h).length));
  const lines = [`backend ${backend}`, `state ${describeLocation(state)}`, `${'host'.padEnd(width)}  ${'subnet'.padEnd(18)}  reachable  ${'mesh'.padEnd(meshWidth)}  last run`];
  for (const [name, h] of Object.entries(report)) {
    const subnet = `${h.subnet}${h.recorded ? '' : '*'}`;
    const lastRun = h.last_run === null ? 'never' : describeLastRun(h.last_run, now);
    lines.push(`${name.padEnd(width)}  ${subnet.padEnd(18)}  ${(h.reachable ? 'yes' : 'no').padEnd(9)}  ${meshOf(h).padEnd(meshWidth)}  ${lastRun}`);
  }
  for (const [name, h] of Object.entries(report)) {
    if (h.reason !== undefined) lines.push(`${name}: ${h.reason}`);
    for (const d of h.drift) lines.push(`${name}: ${d.task}: ${d.reason}`);
  }
  if (Object.values(report).some((h) => !h.recorded)) lines.push('* not recorded yet: the next `up` gives it this subnet');
  return lines.join('\n');
}
