// Loads a backend's playbook (playbooks/<backend>.yaml): ordered `up` and `down` task lists.
// A list entry is a task, or `import: FILE` (a YAML list of entries, path relative to the file
// that imports it) with optional `vars:` and `when:` for every task it brings in; the playbook's
// own `vars:` are seen by all its tasks. So backends share task files and differ in variables.
// When some hosts must finish before others start (a key-value store before its clients, a
// network created once on one host), `up`/`down` is a list of plays instead: each names the hosts
// it runs on (`all`, `first`, or a group) and its tasks, and plays run one after the other.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { InputError, UsageError, type InputProblem } from '../errors.js';
import { formatFieldPath, locate, type FieldPath } from '../inventory/locate.js';
import type { AnyModule } from './module.js';
import type { Vars } from './template.js';

export type PlaybookAction = 'up' | 'down';


const variableName = z.string().regex(/^[A-Za-z_]\w*$/, 'must be a variable name: letters, digits, _');

const vars = z.record(variableName, z.unknown());

const taskSchema = z.strictObject({
  name: z.string().min(1),
  module: z.string().min(1),
  when: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** Later plays see the module's outputs from this task as `registered.NAME`. */
  register: variableName.optional(),
});

const importSchema = z.strictObject({
  import: z.string().min(1),
  vars: vars.optional(),
  when: z.string().min(1).optional(),
});

const playbookSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  vars: vars.optional(),
  up: z.array(z.unknown()).min(1),
  down: z.array(z.unknown()).min(1),
});

const playSchema = z.strictObject({
  play: z.string().min(1),
  hosts: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be 'all', 'first' or a group name"),
  any_errors_fatal: z.boolean().optional(),
  tasks: z.array(z.unknown()).min(1),
});

const taskFileSchema = z.array(z.unknown());

/**
 * Which hosts a play runs on: `all`; `first`, the inventory's first host (something done once for
 * the mesh); or the hosts of a group, in inventory order.
 */
export type HostSelector = string;

export interface Play {
  /** '' for the one implicit play of a playbook written as a plain task list. */
  name: string;
  hosts: HostSelector;
  /** A failure on any host stops the run before the next play, on every host. */
  anyErrorsFatal: boolean;
  tasks: Task[];
}

export interface Task {
  name: string;
  module: AnyModule;
  /** Every condition must hold: the task's own and those of the imports that brought it in. */
  when: string[];
  /** Variable layers, outermost first (playbook vars, then each import's); each is rendered over the ones before. */
  vars: Vars[];
  params: Record<string, unknown>;
  register?: string | undefined;
  /** Where the task's params stand, to point errors at the playbook or task file. */
  source: { file: string; line: number; column: number; field: string };
}

export interface Playbook {
  file: string;
  name: string;
  plays: Record<PlaybookAction, Play[]>;
}

/** Where the shipped playbooks live: <package root>/playbooks. */
export function playbookDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../playbooks');
}

/** A parsed YAML file with a way to point at its fields. */
interface SourceFile {
  file: string;
  doc: Document;
  lines: LineCounter;
}

type ReadText = (file: string) => Promise<string>;

const readText: ReadText = async (file) => {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read playbook ${file}`);
  }
};

export async function loadPlaybook(file: string, modules: ReadonlyMap<string, AnyModule>, read: ReadText = readText): Promise<Playbook> {
  const problems: InputProblem[] = [];
  const source = parseSource(await read(file), file);
  const parsed = playbookSchema.safeParse(source.doc.toJS());
  if (!parsed.success) throw new InputError(parsed.error.issues.map((issue) => at(source, issue.path.filter(isKey), issue.message)));
  const loader = new EntryLoader(modules, read, problems);
  const base: Inherited = { when: [], vars: parsed.data.vars === undefined ? [] : [parsed.data.vars], chain: [path.resolve(file)] };
  const up = await loader.plays(source, ['up'], parsed.data.up, base);
  const down = await loader.plays(source, ['down'], parsed.data.down, base);
  if (problems.length > 0) throw new InputError(problems);
  return { file, name: parsed.data.name, plays: { up, down } };
}

const isPlayEntry = (entry: unknown): boolean => entry !== null && typeof entry === 'object' && 'play' in entry;

/** What an import hands down to the tasks it brings in. */
interface Inherited {
  when: string[];
  vars: Vars[];
  /** The files being imported, outermost first, to refuse an import cycle. */
  chain: string[];
}

class EntryLoader {
  constructor(
    private readonly modules: ReadonlyMap<string, AnyModule>,
    private readonly read: ReadText,
    private readonly problems: InputProblem[],
  ) {}

  /** An action's list: plays, or tasks that make one implicit play on all hosts. */
  async plays(source: SourceFile, listPath: FieldPath, entries: readonly unknown[], inherited: Inherited): Promise<Play[]> {
    const playEntries = entries.filter(isPlayEntry).length;
    if (playEntries === 0) return [{ name: '', hosts: 'all', anyErrorsFatal: false, tasks: await this.entries(source, listPath, entries, inherited) }];
    if (playEntries < entries.length) {
      this.problems.push(at(source, listPath, 'mixes plays and tasks: when one entry is a play (play:, hosts:, tasks:), all must be'));
      return [];
    }
    const plays: Play[] = [];
    for (const [index, entry] of entries.entries()) {
      const parsed = playSchema.safeParse(entry);
      if (!parsed.success) {
        this.problems.push(...parsed.error.issues.map((issue) => at(source, [...listPath, index, ...issue.path.filter(isKey)], issue.message)));
        continue;
      }
      const { play, hosts, any_errors_fatal: fatal, tasks } = parsed.data;
      plays.push({ name: play, hosts, anyErrorsFatal: fatal === true, tasks: await this.entries(source, [...listPath, index, 'tasks'], tasks, inherited) });
    }
    return plays;
  }

  async entries(source: SourceFile, listPath: FieldPath, entries: readonly unknown[], inherited: Inherited): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const [index, entry] of entries.entries()) {
      const entryPath = [...listPath, index];
      if (entry !== null && typeof entry === 'object' && 'import' in entry) {
        tasks.push(...(await this.importEntry(source, entryPath, entry, inherited)));
      } else {
        const task = this.task(source, entryPath, entry, inherited);
        if (task !== undefined) tasks.push(task);
      }
    }
    return tasks;
  }

  private task(source: SourceFile, entryPath: FieldPath, entry: unknown, inherited: Inherited): Task | undefined {
    const parsed = taskSchema.safeParse(entry);
    if (!parsed.success) {
      this.problems.push(...parsed.error.issues.map((issue) => at(source, [...entryPath, ...issue.path.filter(isKey)], issue.message)));
      return undefined;
    }
    const raw = parsed.data;
    const module = this.modules.get(raw.module);
    if (module === undefined) {
      const known = [...this.modules.keys()].sort().join(', ');
      this.problems.push(at(source, [...entryPath, 'module'], `unknown module '${raw.module}' (known: ${known})`));
      return undefined;
    }
    const pos = at(source, [...entryPath, 'params'], '');
    return {
      name: raw.name,
      module,
      when: raw.when === undefined ? inherited.when : [...inherited.when, raw.when],
      vars: inherited.vars,
      params: raw.params ?? {},
      ...(raw.register === undefined ? {} : { register: raw.register }),
      source: { file: pos.file, line: pos.line, column: pos.column, field: pos.field },
    };
  }

  private async importEntry(source: SourceFile, entryPath: FieldPath, entry: unknown, inherited: Inherited): Promise<Task[]> {
    const parsed = importSchema.safeParse(entry);
    if (!parsed.success) {
      this.problems.push(...parsed.error.issues.map((issue) => at(source, [...entryPath, ...issue.path.filter(isKey)], issue.message)));
      return [];
    }
    const file = path.resolve(path.dirname(source.file), parsed.data.import);
    if (inherited.chain.includes(file)) {
      this.problems.push(at(source, [...entryPath, 'import'], `import cycle: ${[...inherited.chain, file].map((f) => path.basename(f)).join(' → ')}`));
      return [];
    }
    let text: string;
    try {
      text = await this.read(file);
    } catch {
      this.problems.push(at(source, [...entryPath, 'import'], `cannot read ${file}`));
      return [];
    }
    const imported = parseSource(text, file);
    const list = taskFileSchema.safeParse(imported.doc.toJS());
    if (!list.success) {
      this.problems.push(at(imported, [], 'a task file is a YAML list of tasks and imports'));
      return [];
    }
    const next: Inherited = {
      when: parsed.data.when === undefined ? inherited.when : [...inherited.when, parsed.data.when],
      vars: parsed.data.vars === undefined ? inherited.vars : [...inherited.vars, parsed.data.vars],
      chain: [...inherited.chain, file],
    };
    return this.entries(imported, [], list.data, next);
  }
}

function parseSource(text: string, file: string): SourceFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const source = { file, doc, lines };
  if (doc.errors.length > 0) {
    throw new InputError(doc.errors.map((e) => ({ ...at(source, [], `YAML: ${e.message.split('\n')[0]}`), line: e.linePos?.[0].line ?? 1 })));
  }
  return source;
}

function at(source: SourceFile, fieldPath: FieldPath, message: string): InputProblem {
  const pos = locate(source.doc, source.lines, fieldPath);
  return { file: source.file, line: pos.line, column: pos.column, field: formatFieldPath(fieldPath), message };
}

function isKey(part: PropertyKey): part is string | number {
  return typeof part !== 'symbol';
}
