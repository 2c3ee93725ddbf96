// group_vars/ and host_vars/ next to an Ansible inventory: `NAME`, `NAME.yml`, `NAME.yaml` or
// `NAME.json`, or a directory NAME/ of such files (read in name order, later files winning).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { InputError, type InputProblem } from '../../errors.js';
import { locate } from '../locate.js';
import { readYaml } from '../yaml.js';
import type { VarMap } from './model.js';

export interface VarsFile {
  file: string;
  vars: VarMap;
  /** The document, to place fields nested inside a variable (the `meshctl:` settings). */
  doc: Document;
  lines: LineCounter;
  value: Record<string, unknown>;
}

const VARS_FILE = /^(?:[^.]+|.+\.(?:ya?ml|json))$/;

/** Each group's or host's files under `dir`, in the order they apply; none when `dir` is absent. */
export async function readVarsDir(dir: string): Promise<Map<string, VarsFile[]>> {
  const byName = new Map<string, VarsFile[]>();
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw new InputError([{ file: dir, line: 1, column: 1, field: '(vars)', message: `cannot read ${dir}: ${error.code ?? error.message}` }]);
  });
  const problems: InputProblem[] = [];
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).then((s) => s.isDirectory(), () => false)));
    const files = isDir ? await filesIn(full) : VARS_FILE.test(entry.name) ? [full] : [];
    const name = isDir ? entry.name : entry.name.replace(/\.(?:ya?ml|json)$/, '');
    for (const file of files) {
      try {
        const read = await readVarsFile(file);
        byName.set(name, [...(byName.get(name) ?? []), read]);
      } catch (error) {
        if (error instanceof InputError) problems.push(...error.problems);
        else throw error;
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return byName;
}

async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesIn(full)));
    else if (VARS_FILE.test(entry.name)) files.push(full);
  }
  return files;
}

async function readVarsFile(file: string): Promise<VarsFile> {
  const text = await readFile(file, 'utf8');
  if (text.startsWith('$ANSIBLE_VAULT')) {
    throw new InputError([{ file, line: 1, column: 1, field: '(vars)', message: 'encrypted with ansible-vault, which meshctl cannot read: keep secrets in environment variables (become password: ansible_become_password: "{{ lookup(\'env\', \'NAME\') }}")' }]);
  }
  const { doc, lines, value } = readYaml(text, file);
  if (value === null || value === undefined) return { file, vars: new Map(), doc, lines, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError([{ file, line: 1, column: 1, field: '(vars)', message: 'a vars file is a map of variables' }]);
  }
  const map = value as Record<string, unknown>;
  const vars: VarMap = new Map(Object.entries(map).map(([key, v]) => [key, { value: v, at: { file, ...locate(doc, lines, [key]) } }]));
  return { file, vars, doc, lines, value: map };
}
