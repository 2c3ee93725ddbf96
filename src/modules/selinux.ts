// selinux: sets SELinux permissive where the inventory allows it (Open vSwitch with Docker on the
// RHEL family is refused while enforcing) and puts back what it changed. params: state:
// permissive | restored, allowed: boolean (the inventory's `selinux: permissive`).
//   - name: SELinux permissive where the inventory allows it
//     module: selinux
//     params: { state: permissive, allowed: "{{ selinux.permissive }}" }
//
// A host without SELinux (Debian) is left alone. Never "disabled": turning SELinux back on from
// there needs a reboot and a relabel of every file. What `permissive` changed is recorded in
// RECORD_PATH; `restored` puts exactly that back.
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, notice, ok, put, refuse, run, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';
import { fileFact, parseRecordFile, type FileText } from './file-fact.js';

export const RECORD_PATH = '/var/lib/meshctl/selinux.json';
export const CONFIG_PATH = '/etc/selinux/config';

export const SELINUX_MODES = ['enforcing', 'permissive', 'disabled'] as const;
export type SelinuxMode = (typeof SELINUX_MODES)[number];

const params = z.strictObject({
  state: z.enum(['permissive', 'restored']),
  allowed: z.boolean().default(false),
});

export type SelinuxParams = z.output<typeof params>;

/** What the host was like before meshctl set it permissive. */
export interface SelinuxRecord {
  /** The running mode: meshctl changes only an enforcing one. */
  mode: 'enforcing';
  /** SELINUX= in /etc/selinux/config before meshctl rewrote it; null: meshctl left the file alone. */
  config: 'enforcing' | null;
}

export interface SelinuxFacts {
  /** The running mode; null: no SELinux on this host (neither getenforce nor /sys/fs/selinux). */
  mode: SelinuxMode | null;
  /** /etc/selinux/config, with its SELINUX= value (null: no such line). */
  config: { exists: false } | { exists: true; text: string; mode: SelinuxMode | null };
  /** What meshctl recorded, with the file's text (what a rewrite replaces). */
  record: { exists: false } | ({ exists: true; text: string } & SelinuxRecord);
}

const NO_SELINUX = 'meshctl: no selinux';
// selinuxfs mounted but no libselinux-utils: its `enforce` file says 1 or 0.
const SELINUXFS = 'meshctl: selinuxfs enforce=';

const configFile = fileFact(CONFIG_PATH);
const recordFile = fileFact(RECORD_PATH);

export const selinux = defineModule<SelinuxParams, SelinuxFacts>({
  name: 'selinux',
  params,
  facts: () => ({
    mode: {
      command:
        'if command -v getenforce >/dev/null 2>&1; then getenforce; ' +
        `elif [ -f /sys/fs/selinux/enforce ]; then echo "${SELINUXFS}$(cat /sys/fs/selinux/enforce)"; ` +
        `else echo '${NO_SELINUX}'; fi`,
      parse: parseMode,
    },
    config: { command: configFile.command, parse: (result) => parseConfig(configFile.parse(result)) },
    record: { command: recordFile.command, parse: (result) => parseRecord(recordFile.parse(result)) },
  }),
  plan: (p, facts) => (p.state === 'permissive' ? planPermissive(p, facts) : planRestored(facts)),
});

function planPermissive(p: SelinuxParams, facts: SelinuxFacts): Plan {
  if (facts.mode === null) return ok('no SELinux on this host');
  if (facts.mode === 'disabled') return ok('SELinux is disabled on this host');
  const before = facts.record.exists ? facts.record : undefined;
  const rewriteConfig = facts.config.exists && facts.config.mode === 'enforcing';
  if (facts.mode === 'enforcing') {
    if (!p.allowed) {
      refuse(
        'SELinux is enforcing, and the mesh\'s Open vSwitch with Docker needs it permissive: ' +
          'set `selinux: permissive` in the inventory to let meshctl do that (down puts it back)',
      );
    }
    return planSetPermissive(facts, before, rewriteConfig);
  }
  if (before === undefined) return ok('SELinux is permissive, and not by meshctl: left as it is');
  if (!p.allowed) {
    return notice('SELinux is permissive because of an earlier meshctl up, though the inventory no longer says `selinux: permissive`: down puts it back');
  }
  // Someone put SELINUX=enforcing back while meshctl's permissive mode runs: the next boot would enforce.
  if (rewriteConfig) return planSetPermissive(facts, before, rewriteConfig);
  return notice('SELinux is permissive because of meshctl (it was enforcing): down puts it back');
}

function planSetPermissive(facts: SelinuxFacts, before: SelinuxRecord | undefined, rewriteConfig: boolean): Plan {
  // The record keeps the state before meshctl's first change: a later run (after someone set
  // it enforcing again) never replaces the original config value with meshctl's own.
  const record: SelinuxRecord = { mode: 'enforcing', config: before?.config ?? (rewriteConfig ? 'enforcing' : null) };
  const steps: Step[] = [];
  if (before === undefined || !isDeepStrictEqual({ mode: before.mode, config: before.config }, record)) {
    // Written before anything changes, so a failure halfway still leaves the way back.
    if (before === undefined) steps.push(run(shellJoin(['mkdir', '-p', posix.dirname(RECORD_PATH)])));
    steps.push(put(RECORD_PATH, JSON.stringify(record, null, 2) + '\n', 0o644, facts.record.exists ? facts.record.text : null));
  }
  const actions: string[] = [];
  if (facts.mode === 'enforcing') {
    steps.push(run('setenforce 0'));
    actions.push('set SELinux permissive (it was enforcing)');
  }
  if (rewriteConfig && facts.config.exists) {
    steps.push(put(CONFIG_PATH, withConfigMode(facts.config.text, 'permissive'), 0o644, facts.config.text));
    actions.push(`SELINUX=permissive in ${CONFIG_PATH}`);
  }
  return change(`${actions.join(', ')}: down puts it back`, steps, { notice: true });
}

function planRestored(facts: SelinuxFacts): Plan {
  if (!facts.record.exists) return ok(`no record in ${RECORD_PATH}: meshctl changed nothing`);
  const record = facts.record;
  const steps: Step[] = [];
  const actions: string[] = [];
  // Only what meshctl left: a mode or a config line someone changed since is theirs.
  if (facts.mode === 'permissive') {
    steps.push(run('setenforce 1'));
    actions.push(`set SELinux back to ${record.mode}`);
  }
  if (record.config !== null && facts.config.exists && facts.config.mode === 'permissive') {
    steps.push(put(CONFIG_PATH, withConfigMode(facts.config.text, record.config), 0o644, facts.config.text));
    actions.push(`SELINUX=${record.config} in ${CONFIG_PATH} again`);
  }
  steps.push(run(shellJoin(['rm', '-f', RECORD_PATH])));
  actions.push(`remove ${RECORD_PATH}`);
  return change(actions.join(', '), steps);
}

// libselinux reads the first SELINUX= line, the key and the value in any case (selinux_config.c).
const CONFIG_LINE = /^[ \t]*SELINUX=(.*)$/im;

/** The config with its SELINUX= line (the one libselinux reads) set to `mode`, every other line as it was. */
export function withConfigMode(text: string, mode: SelinuxMode): string {
  return text.replace(CONFIG_LINE, `SELINUX=${mode}`);
}

/** getenforce prints Enforcing, Permissive or Disabled (getenforce(8)). */
export function parseMode(result: ExecResult): SelinuxMode | null {
  const out = result.stdout.trim();
  if (out === NO_SELINUX) return null;
  if (result.code === 0 && out.startsWith(SELINUXFS)) {
    const enforce = out.slice(SELINUXFS.length);
    if (enforce === '1') return 'enforcing';
    if (enforce === '0') return 'permissive';
  }
  const mode = out.toLowerCase();
  if (result.code !== 0 || !isMode(mode)) {
    throw new FactParseError(`cannot read the SELinux mode (exit ${result.code ?? result.signal}): ${out.slice(0, 200)}`);
  }
  return mode;
}

export function parseConfig(file: FileText): SelinuxFacts['config'] {
  if (!file.exists) return { exists: false };
  const line = CONFIG_LINE.exec(file.text);
  if (line === null) return { exists: true, text: file.text, mode: null };
  const value = (line[1] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2').toLowerCase();
  if (!isMode(value)) throw new FactParseError(`${CONFIG_PATH} says SELINUX=${line[1] ?? ''}: expected enforcing, permissive or disabled`);
  return { exists: true, text: file.text, mode: value };
}

const recordSchema = z.object({ mode: z.literal('enforcing'), config: z.literal('enforcing').nullable() });

export function parseRecord(file: FileText): SelinuxFacts['record'] {
  return parseRecordFile(RECORD_PATH, file, recordSchema);
}

function isMode(text: string): text is SelinuxMode {
  return (SELINUX_MODES as readonly string[]).includes(text);
}
