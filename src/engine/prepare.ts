// Turns a playbook into each host's concrete task list: templates rendered, `when` decided,
// params validated. Pure and done for every host before any connection, so a bad value stops
// the run with exit 2 and no host touched.
import { InputError, type InputProblem } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import type { MeshPlan } from '../network/plan.js';
import type { AnyModule } from './module.js';
import type { Playbook, PlaybookAction, Task } from './playbook.js';
import { evaluateCondition, render, TemplateError, type Vars } from './template.js';
import { hostVars, type RunOptions } from './vars.js';

export interface PreparedTask {
  name: string;
  module: AnyModule;
  params: unknown;
}

export function prepareTasks(
  playbook: Playbook,
  action: PlaybookAction,
  inventory: Inventory,
  plan: MeshPlan,
  options: RunOptions,
): Map<string, PreparedTask[]> {
  const problems: InputProblem[] = [];
  const byHost = new Map<string, PreparedTask[]>();
  for (const host of inventory.hosts) {
    const vars = hostVars(inventory, plan, host, options);
    const prepared: PreparedTask[] = [];
    for (const task of playbook.tasks[action]) {
      const problem = (message: string): void => {
        problems.push({ ...task.source, message: `task '${task.name}' on ${host.name}: ${message}` });
      };
      try {
        const taskVars = withLayers(vars, task.vars);
        if (!task.when.every((condition) => evaluateCondition(condition, taskVars))) continue;
        const params = task.module.params.safeParse(render(task.params, taskVars));
        if (params.success) prepared.push({ name: task.name, module: task.module, params: params.data });
        else problem(params.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '));
      } catch (error) {
        if (error instanceof TemplateError) problem(error.message);
        else throw error;
      }
    }
    byHost.set(host.name, prepared);
  }
  if (problems.length > 0) throw new InputError(dedupe(problems));
  return byHost;
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
