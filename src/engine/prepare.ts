// Turns a playbook into each host's concrete task list: templates rendered, `when` decided,
// params validated. Pure and done for every host before any connection, so a bad value stops
// the run with exit 2 and no host touched.
import { InputError, type InputProblem } from '../errors.js';
import type { Host, Inventory, SourceLocation } from '../inventory/types.js';
import type { MeshPlan } from '../network/plan.js';
import type { AnyModule } from './module.js';
import type { HostSelector, Playbook, PlaybookAction, Task } from './playbook.js';
import { evaluateCondition, render, TemplateError, wholeVariable, type Vars } from './template.js';
import { hostVars, type RunOptions } from './vars.js';

export interface PreparedTask {
  name: string;
  module: AnyModule;
  params: unknown;
  /** Its outputs go to later plays under this name. */
  register?: string;
}

/** What tasks registered in the plays run so far: name → host → the module's outputs. */
export type Registered = ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>;

/** A play ready to run: its hosts (in inventory order), each with its tasks, possibly none. */
export interface PreparedPlay {
  name: string;
  anyErrorsFatal: boolean;
  tasks: Map<string, PreparedTask[]>;
}

export function prepareTasks(
  playbook: Playbook,
  action: PlaybookAction,
  inventory: Inventory,
  plan: MeshPlan,
  options: RunOptions,
  registered?: Registered,
): PreparedPlay[] {
  const problems: InputProblem[] = [];
  const known: Registered = registered ?? new Map();
  const varsOf = new Map(inventory.hosts.map((host) => [host.name, hostVars(inventory, plan, host, options, known)]));
  const plays = playbook.plays[action].map((play) => {
    const byHost = new Map<string, PreparedTask[]>();
    for (const host of selectHosts(inventory.hosts, play.hosts)) {
      byHost.set(host.name, prepareHost(play.tasks, host, varsOf.get(host.name) ?? {}, problems, known));
    }
    return { name: play.name, anyErrorsFatal: play.anyErrorsFatal, tasks: byHost };
  });
  if (problems.length > 0) throw new InputError(dedupe(problems));
  return plays;
}

/** `all`, `first` (the inventory's first host) or the hosts of a group; a group no host is in selects none. */
export function selectHosts(hosts: readonly Host[], selector: HostSelector): Host[] {
  if (selector === 'all') return [...hosts];
  if (selector === 'first') return hosts.slice(0, 1);
  return hosts.filter((host) => host.groups.includes(selector));
}

/**
 * A task that uses `registered.NAME…` before any play registered NAME (before the run, or in a
 * play prepared before the one that registers it) is left for later: runPlays prepares the plays
 * again once NAME is registered. A key that NAME's outputs lack is a mistake like any other.
 */
function prepareHost(tasks: readonly Task[], host: Host, vars: Vars, problems: InputProblem[], registered: Registered): PreparedTask[] {
  const prepared: PreparedTask[] = [];
  const hostName = host.name;
  for (const task of tasks) {
    const problem = (message: string): void => {
      problems.push({ ...task.source, message: `task '${task.name}' on ${hostName}: ${message}` });
    };
    try {
      const taskVars = withLayers(vars, task.vars);
      if (!task.when.every((condition) => evaluateCondition(condition, taskVars))) continue;
      const params = task.module.params.safeParse(render(task.params, taskVars));
      if (params.success) prepared.push({ name: task.name, module: task.module, params: params.data, ...(task.register === undefined ? {} : { register: task.register }) });
      else {
        // A value the inventory gave is wrong with these params (a docker.daemon key the playbook
        // sets itself): reported where the inventory says it, not at the playbook's task.
        const inPlaybook = params.error.issues.filter((issue) => {
          const source = inventorySource(host, task.params, issue.path);
          if (source !== undefined) problems.push({ ...source, message: `${issue.message} (task '${task.name}', ${task.source.file}:${task.source.line})` });
          return source === undefined;
        });
        if (inPlaybook.length > 0) problem(inPlaybook.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '));
      }
    } catch (error) {
      const pending = error instanceof TemplateError ? /variable 'registered\.([A-Za-z_]\w*)/.exec(error.message)?.[1] : undefined;
      if (pending !== undefined && !registered.has(pending)) continue;
      if (error instanceof TemplateError) problem(error.message);
      else throw error;
    }
  }
  return prepared;
}

/**
 * Where in the inventory the param at `path` was written, when the task takes it whole from a
 * variable the inventory sets per key (`user_settings: "{{ docker.daemon }}"`, the issue at
 * `user_settings.bip` → the host's nearest `docker.daemon.bip`).
 */
function inventorySource(host: Host, params: unknown, path: readonly PropertyKey[]): SourceLocation | undefined {
  let value: unknown = params;
  for (const [depth, part] of path.entries()) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
    const variable = typeof value === 'string' ? wholeVariable(value) : undefined;
    if (variable === undefined) continue;
    const [name, ...rest] = [...variable.split('.'), ...path.slice(depth + 1).map(String)];
    if (name === 'docker' && rest[0] === 'daemon' && rest[1] !== undefined) return host.docker.daemonSources[rest[1]];
    return undefined;
  }
  return undefined;
}

/** Playbook and import variables on top of the host's; each layer may use the values below it. */
function withLayers(base: Vars, layers: readonly Vars[]): Vars {
  return layers.reduce<Vars>((vars, layer) => ({ ...vars, ...(render(layer, vars) as Vars) }), base);
}

/** The same template mistake shows once per task, not once per host. */
function dedupe(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.message.replace(/ on [^:]+:/, '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type { Task };
