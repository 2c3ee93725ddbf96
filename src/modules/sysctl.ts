// sysctl: sets a kernel parameter now and persists it in a sysctl.d file; `absent` puts it back.
// params: name, value, file (a sysctl.d file meshctl owns), state?: present (default) | absent.
//   - name: Forward IPv4
//     module: sysctl
//     params: { name: net.ipv4.ip_forward, value: "1", file: /etc/sysctl.d/60-meshctl.conf }
//
// The file holds, for each parameter meshctl set, the value it had before (`# meshctl: NAME was 0`)
// and the wanted one (`NAME = 1`). Several tasks may share one file: each touches only its lines.
import { posix } from 'node:path';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, textBefore, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { fileFact, type FileText } from './file-fact.js';

const params = z.strictObject({
  // `/` stands for a `.` inside a component: net.ipv4.conf.eth0/100.forwarding.
  name: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_/-]+)+$/, 'must be a sysctl name like net.ipv4.ip_forward'),
  // Playbooks often write `value: 1`: a number means the same here.
  value: z
    .union([z.string(), z.number()])
    .transform((v) => normalize(String(v)))
    .refine((v) => v !== '', 'must not be empty'),
  file: z.string().regex(/^\/[^\n]*[^/\n]$/, 'must be an absolute file path'),
  state: z.enum(['present', 'absent']).default('present'),
});

export type SysctlParams = z.output<typeof params>;

export interface SysctlFacts {
  /** `sysctl -n NAME`, whitespace normalized; null when the kernel has no such parameter. */
  runtime: string | null;
  file: FileText;
}

export const sysctl = defineModule<SysctlParams, SysctlFacts>({
  name: 'sysctl',
  params,
  facts: (p) => ({
    runtime: { command: shellJoin(['sysctl', '-n', p.name]), parse: (result) => parseRuntime(p.name, result) },
    file: fileFact(p.file),
  }),
  plan: (p, facts) => (p.state === 'present' ? planPresent(p, facts) : planAbsent(p, facts)),
});

function planPresent(p: SysctlParams, facts: SysctlFacts): Plan {
  if (facts.runtime === null) {
    refuse(`the kernel has no sysctl ${p.name} (is its module loaded?)`);
  }
  const lines = facts.file.exists ? splitLines(facts.file.text) : [];
  const own = ownLines(lines, p.name);
  // The value before meshctl's first change is kept across runs: a rerun must not record the
  // value meshctl itself set.
  const was = own.was ?? facts.runtime;
  const persisted = own.values.length === 1 && own.values[0] === p.value && own.was !== undefined;
  const live = facts.runtime === p.value;
  if (persisted && live) return ok(`${p.name} is ${p.value} and persisted in ${p.file}`);

  const steps: Step[] = [];
  if (!persisted) {
    const kept = lines.filter((line) => !own.lines.has(line));
    const content = [...kept, `# meshctl: ${p.name} was ${was}`, `${p.name} = ${p.value}`].join('\n') + '\n';
    if (!facts.file.exists) steps.push(run(shellJoin(['mkdir', '-p', posix.dirname(p.file)])));
    steps.push(put(p.file, content, 0o644, textBefore(facts.file)));
  }
  if (!live) steps.push(run(shellJoin(['sysctl', '-q', '-w', `${p.name}=${p.value}`])));
  const what = live ? `persist ${p.name} = ${p.value}` : `set ${p.name} to ${p.value} (was ${facts.runtime})`;
  return change(persisted ? what : `${what}${live ? '' : ' and persist it'} in ${p.file}`, steps);
}

function planAbsent(p: SysctlParams, facts: SysctlFacts): Plan {
  const lines = facts.file.exists ? splitLines(facts.file.text) : [];
  const own = ownLines(lines, p.name);
  if (own.lines.size === 0) return ok(`${p.name} is not set in ${p.file}`);

  const steps: Step[] = [];
  const kept = lines.filter((line) => !own.lines.has(line));
  // A file left with only comments and blank lines is meshctl's leftover: delete it.
  if (kept.some((line) => line.trim() !== '' && !/^\s*[#;]/.test(line))) {
    steps.push(put(p.file, kept.join('\n') + '\n', 0o644, textBefore(facts.file)));
  } else {
    steps.push(run(shellJoin(['rm', '-f', p.file])));
  }
  // Without a record (a line written by hand) there is nothing to go back to.
  const was = own.was;
  if (was !== undefined && facts.runtime !== null && facts.runtime !== was) {
    steps.push(run(shellJoin(['sysctl', '-q', '-w', `${p.name}=${was}`])));
    return change(`set ${p.name} back to ${was} and remove it from ${p.file}`, steps);
  }
  return change(`remove ${p.name} from ${p.file}`, steps);
}

/** The lines of the file that belong to one parameter: its settings and meshctl's record. */
function ownLines(lines: readonly string[], name: string): { lines: Set<string>; values: string[]; was?: string } {
  const own = new Set<string>();
  const values: string[] = [];
  let was: string | undefined;
  const record = `# meshctl: ${name} was `;
  for (const line of lines) {
    if (line.startsWith(record)) {
      own.add(line);
      was ??= normalize(line.slice(record.length));
      continue;
    }
    // sysctl.d syntax: `name = value`, `name=value`, `-name = value` (errors ignored); `.` or `/`.
    const setting = /^\s*-?([^=#;\s]+)\s*=(.*)$/.exec(line);
    if (setting?.[1] !== undefined && setting[2] !== undefined && sameName(setting[1], name)) {
      own.add(line);
      values.push(normalize(setting[2]));
    }
  }
  return was === undefined ? { lines: own, values } : { lines: own, values, was };
}

/**
 * `net.ipv4.conf.eth0/100.rp_filter` and `net/ipv4/conf/eth0.100/rp_filter` name the same thing:
 * as sysctl does, a name whose first separator is `/` has `.` and `/` swapped.
 */
function sameName(a: string, b: string): boolean {
  const canonical = (name: string): string =>
    /^[^./]*\//.test(name) ? name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')) : name;
  return canonical(a) === canonical(b);
}

/** Multi-field values (`32768\t60999`) compare by their words. */
function normalize(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export function parseRuntime(name: string, result: ExecResult): string | null {
  if (result.code === 0) return normalize(result.stdout);
  // procps: "sysctl: cannot stat /proc/sys/net/nope: No such file or directory" (exit 1 or 255).
  if (/cannot stat|No such file or directory|unknown key/.test(result.stderr)) return null;
  throw new FactParseError(`sysctl -n ${shellQuote(name)} failed (exit ${result.code ?? result.signal})`);
}
