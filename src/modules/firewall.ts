// firewall: gets host firewalls out of the mesh's way (ufw, firewalld, iptables FORWARD DROP) and
// puts back what it turned off. params: state: disabled | restored, forward_policy?: ACCEPT.
//   - name: Let forwarded traffic through
//     module: firewall
//     params: { state: disabled }
//
// What `disabled` turned off is recorded in RECORD_PATH; `restored` turns exactly that back on.
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, run, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';
import { fileFact, parseRecordFile, type FileText } from './file-fact.js';

export const RECORD_PATH = '/var/lib/meshctl/firewall.json';

const params = z.strictObject({
  state: z.enum(['disabled', 'restored']),
  // Only ACCEPT for now: the mesh's bridged and tunnelled traffic crosses FORWARD.
  forward_policy: z.enum(['ACCEPT']).default('ACCEPT'),
});

export type FirewallParams = z.output<typeof params>;

export type ForwardPolicy = 'ACCEPT' | 'DROP';

export interface FirewallRecord {
  ufw: boolean;
  firewalld: { active: boolean; enabled: boolean };
  /** The FORWARD policy before meshctl changed it; null when there was no iptables. */
  forward_policy: ForwardPolicy | null;
}

export interface FirewallFacts {
  ufw: { installed: boolean; active: boolean };
  firewalld: { installed: boolean; active: boolean; enabled: boolean };
  /** The iptables FORWARD chain's policy; null when iptables is not installed. */
  forward: ForwardPolicy | null;
  /** What meshctl recorded, with the file's text (what a rewrite replaces). */
  record: { exists: false } | ({ exists: true; text: string } & FirewallRecord);
}

const NO_UFW = 'meshctl: no ufw';
const NO_FIREWALLD = 'meshctl: no firewalld';
const NO_IPTABLES = 'meshctl: no iptables';

const recordFile = fileFact(RECORD_PATH);

export const firewall = defineModule<FirewallParams, FirewallFacts>({
  name: 'firewall',
  params,
  facts: () => ({
    ufw: {
      command: `if command -v ufw >/dev/null 2>&1; then ufw status; else echo '${NO_UFW}'; fi`,
      parse: parseUfw,
    },
    firewalld: {
      // `is-enabled` of a unit that does not exist differs between systemd versions: ask first.
      command:
        'if systemctl cat firewalld.service >/dev/null 2>&1; then ' +
        'echo "active=$(systemctl is-active firewalld)"; echo "enabled=$(systemctl is-enabled firewalld)"; ' +
        `else echo '${NO_FIREWALLD}'; fi`,
      parse: parseFirewalld,
    },
    forward: {
      command: `if command -v iptables >/dev/null 2>&1; then iptables -S FORWARD; else echo '${NO_IPTABLES}'; fi`,
      parse: parseForwardPolicy,
    },
    record: { command: recordFile.command, parse: (result) => parseRecord(recordFile.parse(result)) },
  }),
  plan: (p, facts) => (p.state === 'disabled' ? planDisabled(p, facts) : planRestored(facts)),
});

function planDisabled(p: FirewallParams, facts: FirewallFacts): Plan {
  const commands: string[] = [];
  const actions: string[] = [];
  if (facts.ufw.active) {
    commands.push('ufw disable');
    actions.push('disable ufw');
  }
  // Disabled too when only enabled: it would come back at the next boot.
  if (facts.firewalld.active || facts.firewalld.enabled) {
    commands.push('systemctl disable --now firewalld');
    actions.push('disable firewalld');
  }
  if (facts.forward !== null && facts.forward !== p.forward_policy) {
    commands.push(shellJoin(['iptables', '-P', 'FORWARD', p.forward_policy]));
    actions.push(`set the FORWARD policy to ${p.forward_policy}`);
  }
  if (commands.length === 0) {
    return ok(`no ufw or firewalld active and the FORWARD policy is ${facts.forward ?? 'absent (no iptables)'}`);
  }

  // The record keeps the state before meshctl's first change: a later run adds only what was
  // turned on again meanwhile, and never replaces the original policy with its own ACCEPT.
  const before = facts.record.exists ? facts.record : undefined;
  const record: FirewallRecord = {
    ufw: (before?.ufw ?? false) || facts.ufw.active,
    firewalld: {
      active: (before?.firewalld.active ?? false) || facts.firewalld.active,
      enabled: (before?.firewalld.enabled ?? false) || facts.firewalld.enabled,
    },
    forward_policy: before?.forward_policy ?? facts.forward,
  };
  const steps: Step[] = [];
  if (before === undefined || !isDeepStrictEqual(recordOf(before), record)) {
    // Written before anything is turned off, so a failure halfway still leaves the way back.
    if (before === undefined) steps.push(run(shellJoin(['mkdir', '-p', posix.dirname(RECORD_PATH)])));
    steps.push(put(RECORD_PATH, JSON.stringify(record, null, 2) + '\n', 0o644, facts.record.exists ? facts.record.text : null));
  }
  steps.push(...commands.map(run));
  return change(actions.join(', '), steps);
}

function planRestored(facts: FirewallFacts): Plan {
  if (!facts.record.exists) return ok(`no record in ${RECORD_PATH}: meshctl turned nothing off`);
  const record = facts.record;
  const steps: Step[] = [];
  const actions: string[] = [];
  // `--force`: ufw otherwise asks whether to risk the SSH session; its rules are the ones it ran with.
  if (record.ufw && facts.ufw.installed && !facts.ufw.active) {
    steps.push(run('ufw --force enable'));
    actions.push('enable ufw');
  }
  if (facts.firewalld.installed) {
    if (record.firewalld.enabled && !facts.firewalld.enabled) {
      steps.push(run('systemctl enable firewalld'));
      actions.push('enable firewalld');
    }
    if (record.firewalld.active && !facts.firewalld.active) {
      steps.push(run('systemctl start firewalld'));
      actions.push('start firewalld');
    }
  }
  // Last: starting ufw or firewalld may set the policy themselves.
  if (record.forward_policy !== null && facts.forward !== null && facts.forward !== record.forward_policy) {
    steps.push(run(shellJoin(['iptables', '-P', 'FORWARD', record.forward_policy])));
    actions.push(`set the FORWARD policy back to ${record.forward_policy}`);
  }
  steps.push(run(shellJoin(['rm', '-f', RECORD_PATH])));
  actions.push(`remove ${RECORD_PATH}`);
  return change(actions.join(', '), steps);
}

function recordOf(r: FirewallRecord): FirewallRecord {
  return { ufw: r.ufw, firewalld: { active: r.firewalld.active, enabled: r.firewalld.enabled }, forward_policy: r.forward_policy };
}

/** `ufw status`: "Status: active" followed by the rules, or "Status: inactive". */
export function parseUfw(result: ExecResult): FirewallFacts['ufw'] {
  if (result.stdout.trim() === NO_UFW) return { installed: false, active: false };
  const status = /^Status: (active|inactive)\b/m.exec(result.stdout);
  if (result.code !== 0 || status === null) throw new FactParseError(`cannot read ufw status (exit ${result.code ?? result.signal})`);
  return { installed: true, active: status[1] === 'active' };
}

export function parseFirewalld(result: ExecResult): FirewallFacts['firewalld'] {
  if (result.stdout.trim() === NO_FIREWALLD) return { installed: false, active: false, enabled: false };
  const active = /^active=(.*)$/m.exec(result.stdout)?.[1]?.trim();
  const enabled = /^enabled=(.*)$/m.exec(result.stdout)?.[1]?.trim();
  if (active === undefined || enabled === undefined) throw new FactParseError('cannot read the state of firewalld');
  // "activating" and "reloading" are on their way to active: stopping them is still needed.
  return {
    installed: true,
    active: ['active', 'activating', 'reloading'].includes(active),
    enabled: ['enabled', 'enabled-runtime'].includes(enabled),
  };
}

/** `iptables -S FORWARD` starts with the chain's policy: `-P FORWARD DROP`. */
export function parseForwardPolicy(result: ExecResult): ForwardPolicy | null {
  if (result.stdout.trim() === NO_IPTABLES) return null;
  const policy = /^-P FORWARD (ACCEPT|DROP)$/m.exec(result.stdout)?.[1];
  if (result.code !== 0 || (policy !== 'ACCEPT' && policy !== 'DROP')) {
    throw new FactParseError(`cannot read the iptables FORWARD policy (exit ${result.code ?? result.signal})`);
  }
  return policy;
}

const recordSchema = z.object({
  ufw: z.boolean(),
  firewalld: z.object({ active: z.boolean(), enabled: z.boolean() }),
  forward_policy: z.enum(['ACCEPT', 'DROP']).nullable(),
});

export function parseRecord(file: FileText): FirewallFacts['record'] {
  return parseRecordFile(RECORD_PATH, file, recordSchema);
}
