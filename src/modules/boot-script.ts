// The shape of a module whose links Linux forgets at every reboot (mesh_links, l2_uplink): one
// generated script checks (`check`, `remains`), makes (`apply`) and undoes (`remove`) the links,
// and a boot unit runs its `apply` before Docker starts.
// facts: findings (the script run inline, so the fact checks with the very code that applies),
//   the script file, the unit file, whether the unit is enabled.
// present: write the script, install the unit, enable it, and when there are findings restart
//   the unit, so the change runs under systemd (outside the SSH session that may ride on the very
//   links it moves) and the unit shows active as after a boot.
// absent: stop and disable the unit first (nothing re-creates the links), run `remove` inline
//   when anything is left, then delete both files.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, run, textBefore, type Module, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { fileFact, type FileText } from './file-fact.js';

export interface BootScriptParams {
  /** Where the script lives on the host. */
  script: string;
  /** The systemd unit that applies it at boot, e.g. meshctl-mesh-links.service. */
  unit: string;
  state: 'present' | 'absent';
}

export interface BootScriptFacts {
  /** What differs from the wanted links (present) or what is left of them (absent). */
  findings: string[];
  script: FileText;
  unit: FileText;
  enabled: boolean;
}

/** The params every such module takes, with its own defaults; spread into its strictObject. */
export function bootScriptParams(defaults: { script: string; unit: string }) {
  return {
    // It goes into the unit's ExecStart=, where systemd splits at spaces and expands `%`.
    script: z
      .string()
      .regex(/^\/[A-Za-z0-9_.\/-]+$/, 'must be an absolute path of letters, digits and . _ - /')
      .default(defaults.script),
    unit: z.string().regex(/^[A-Za-z0-9@_.-]+\.service$/).default(defaults.unit),
    state: z.enum(['present', 'absent']).default('present'),
  };
}

export interface BootScriptModule<Params extends BootScriptParams> {
  /** The name playbooks use, e.g. `mesh_links`. */
  name: string;
  params: z.ZodType<Params>;
  /** What the script calls itself in inline runs (its `$0`), e.g. `mesh-links`. */
  scriptName: string;
  script(p: Params): string;
  unit(p: Params): string;
  /** The no-op reason of `present` when the check finds nothing. */
  inPlace(p: Params): string;
  /** The no-op reason of `absent` when nothing is left. */
  nothingLeft(p: Params): string;
}

export function defineBootScriptModule<Params extends BootScriptParams>(spec: BootScriptModule<Params>): Module<Params, BootScriptFacts> {
  const inline = (p: Params, mode: string): string => `sh -c ${shellQuote(spec.script(p))} ${shellJoin([spec.scriptName, mode])}`;
  return defineModule<Params, BootScriptFacts>({
    name: spec.name,
    params: spec.params,
    facts: (p) => ({
      findings: { command: inline(p, p.state === 'present' ? 'check' : 'remains'), parse: parseFindings },
      script: fileFact(p.script),
      unit: fileFact(unitPath(p)),
      enabled: {
        command: shellJoin(['systemctl', 'is-enabled', p.unit]),
        parse: (r) => r.stdout.trim() === 'enabled',
      },
    }),
    plan: (p, facts) => (p.state === 'absent' ? planAbsent(p, facts, inline(p, 'remove'), spec.nothingLeft(p)) : planPresent(p, facts, spec)),
  });
}

function planPresent<Params extends BootScriptParams>(p: Params, facts: BootScriptFacts, spec: BootScriptModule<Params>): Plan {
  const script = spec.script(p);
  const unit = spec.unit(p);
  const steps: Step[] = [];
  const reasons: string[] = [];
  if (!sameFile(facts.script, script)) {
    reasons.push(`write ${p.script}`);
    steps.push(put(p.script, script, 0o755, textBefore(facts.script)));
  }
  if (!sameFile(facts.unit, unit)) {
    reasons.push(`install ${p.unit}`);
    steps.push(put(unitPath(p), unit, 0o644, textBefore(facts.unit)), run('systemctl daemon-reload'));
  }
  if (!facts.enabled) {
    reasons.push(`enable ${p.unit} at boot`);
    steps.push(run(shellJoin(['systemctl', 'enable', p.unit])));
  }
  if (facts.findings.length > 0) {
    reasons.push(facts.findings.join('; '));
    steps.push(run(`${shellJoin(['systemctl', 'restart', p.unit])} || { ${shellJoin(['journalctl', '-u', p.unit, '-n', '20', '--no-pager'])} >&2; exit 1; }`));
  }
  if (steps.length === 0) return ok(spec.inPlace(p));
  return change(reasons.join('; '), steps);
}

function planAbsent(p: BootScriptParams, facts: BootScriptFacts, removeInline: string, nothingLeft: string): Plan {
  const leftovers = [...facts.findings];
  if (facts.script.exists) leftovers.push(p.script);
  if (facts.unit.exists) leftovers.push(p.unit);
  if (leftovers.length === 0) return ok(nothingLeft);
  const steps: Step[] = [];
  if (facts.unit.exists) {
    steps.push(run(`${shellJoin(['systemctl', 'disable', '--now', p.unit])} >/dev/null 2>&1 || true`));
  }
  if (facts.findings.length > 0) steps.push(run(removeInline));
  steps.push(run(shellJoin(['rm', '-f', p.script, unitPath(p)])), run('systemctl daemon-reload'));
  return change(`remove ${leftovers.join(', ')}`, steps);
}

const unitPath = (p: BootScriptParams): string => `/etc/systemd/system/${p.unit}`;

function sameFile(file: FileText, content: string): boolean {
  return file.exists && file.text === content;
}

export function parseFindings(result: ExecResult): string[] {
  if (result.code !== 0) throw new FactParseError(result.stderr.trim() || `exit ${result.code}`);
  return result.stdout
    .split('\n')
    .map((line) => /^(?:drift|remains): (.*)$/.exec(line.trim())?.[1])
    .filter((line): line is string => line !== undefined);
}

export interface BootUnit {
  /** The module that writes it, named in its header. */
  module: string;
  description: string;
  /** Units it pulls in and starts after, besides network.target. */
  after: readonly string[];
  wants: readonly string[];
  scriptPath: string;
}

/** A oneshot unit that runs `SCRIPT apply` at boot, before Docker, and stays active after. */
export function bootUnit(u: BootUnit): string {
  const wants = u.wants.length === 0 ? '' : `Wants=${u.wants.join(' ')}\n`;
  return `# Generated by meshctl (module ${u.module}).
[Unit]
Description=${u.description}
${wants}After=${['network.target', ...u.after].join(' ')}
Before=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${u.scriptPath} apply

[Install]
WantedBy=multi-user.target
`;
}
