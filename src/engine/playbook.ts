// Loads a backend's playbook (playbooks/<backend>.yaml): ordered `up` and `down` task lists.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { InputError, UsageError, type InputProblem } from '../errors.js';
import { formatFieldPath, locate, type FieldPath } from '../inventory/locate.js';
import type { AnyModule } from './module.js';

export type PlaybookAction = 'up' | 'down';

const taskSchema = z.strictObject({
  name: z.string().min(1),
  module: z.string().min(1),
  when: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

const playbookSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  up: z.array(taskSchema).min(1),
  down: z.array(taskSchema).min(1),
});

export interface Task {
  name: string;
  module: AnyModule;
  when?: string;
  params: Record<string, unknown>;
  /** Where the task's params stand, to point errors at the playbook. */
  source: { file: string; line: number; column: number; field: string };
}

export interface Playbook {
  file: string;
  name: string;
  tasks: Record<PlaybookAction, Task[]>;
}

/** Where the shipped playbooks live: <package root>/playbooks. */
export function playbookDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../playbooks');
}

export async function loadPlaybook(file: string, modules: ReadonlyMap<string, AnyModule>): Promise<Playbook> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read playbook ${file}`);
  }
  return parsePlaybook(text, file, modules);
}

export function parsePlaybook(text: string, file: string, modules: ReadonlyMap<string, AnyModule>): Playbook {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const at = (fieldPath: FieldPath, message: string): InputProblem => {
    const pos = locate(doc, lines, fieldPath);
    return { file, line: pos.line, column: pos.column, field: formatFieldPath(fieldPath), message };
  };
  if (doc.errors.length > 0) {
    throw new InputError(doc.errors.map((e) => ({ ...at([], `YAML: ${e.message.split('\n')[0]}`), line: e.linePos?.[0].line ?? 1 })));
  }
  const parsed = playbookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.map((issue) => at(issue.path.filter(isKey), issue.message)));
  }
  const problems: InputProblem[] = [];
  const tasksOf = (action: PlaybookAction): Task[] =>
    parsed.data[action].flatMap((raw, index) => {
      const module = modules.get(raw.module);
      if (module === undefined) {
        problems.push(at([action, index, 'module'], `unknown module '${raw.module}' (known: ${[...modules.keys()].sort().join(', ')})`));
        return [];
      }
      const task: Task = { name: raw.name, module, params: raw.params ?? {}, source: sourceOf(doc, lines, file, [action, index]) };
      if (raw.when !== undefined) task.when = raw.when;
      return [task];
    });
  const tasks = { up: tasksOf('up'), down: tasksOf('down') };
  if (problems.length > 0) throw new InputError(problems);
  return { file, name: parsed.data.name, tasks };
}

function sourceOf(doc: Document, lines: LineCounter, file: string, taskPath: FieldPath): Task['source'] {
  const pos = locate(doc, lines, [...taskPath, 'params']);
  return { file, line: pos.line, column: pos.column, field: formatFieldPath([...taskPath, 'params']) };
}

function isKey(part: PropertyKey): part is string | number {
  return typeof part !== 'symbol';
}
