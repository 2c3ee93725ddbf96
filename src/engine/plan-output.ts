// What each host's changed tasks do, step by step, for `meshctl plan` and `--diff`: a unified
// diff per file put (against the file as the module read it) and each script as it would run.
// Steps never hold a secret (a sudo password goes to sudo's stdin, never into a step), so they
// are printed as they are.
import type { Step } from './module.js';
import type { RunResult } from './result.js';
import { unifiedDiff } from './unified-diff.js';

/** A step as `--json` shows it: the script, or the file with its diff. */
export type StepJson = { run: string } | { put: string; diff: string } | { upload: string; from: string; bytes: number };

export interface TaskJson {
  task: string;
  status: string;
  reason: string;
  steps?: StepJson[];
}

/** The diff of one put on `host`; a module that did not read the file diffs against nothing. */
export function putDiff(step: Extract<Step, { kind: 'put' }>, host: string): string {
  const current = step.before === undefined ? `on ${host}: not read` : step.before === null ? `on ${host}: none` : `on ${host}`;
  const text = unifiedDiff(step.before ?? null, step.content, { from: `${step.path} (${current})`, to: `${step.path} (wanted)` });
  // The same text with another mode (or one not read) is still put: say so instead of nothing.
  return text === '' ? `${step.path}: content unchanged (mode ${step.mode.toString(8).padStart(4, '0')})` : text;
}

export function stepJson(step: Step, host: string): StepJson {
  if (step.kind === 'run') return { run: step.script };
  if (step.kind === 'upload') return { upload: step.path, from: step.source, bytes: step.size };
  return { put: step.path, diff: putDiff(step, host) };
}

/** Every task of each host, with the steps of those that change. */
export function planJson(result: RunResult): Record<string, TaskJson[]> {
  return Object.fromEntries(
    [...result].map(([host, outcome]) => [
      host,
      outcome.tasks.map((t) => ({
        task: t.task,
        status: t.status,
        reason: t.reason,
        ...(t.steps === undefined ? {} : { steps: t.steps.map((step) => stepJson(step, host)) }),
      })),
    ]),
  );
}

const COLOURS = { red: '\u001b[31m', green: '\u001b[32m', cyan: '\u001b[36m', bold: '\u001b[1m', reset: '\u001b[0m' };

function paint(line: string): string {
  const colour = line.startsWith('---') || line.startsWith('+++') ? COLOURS.bold
    : line.startsWith('@@') ? COLOURS.cyan
    : line.startsWith('-') ? COLOURS.red
    : line.startsWith('+') ? COLOURS.green
    : undefined;
  return colour === undefined ? line : `${colour}${line}${COLOURS.reset}`;
}

const indent = (text: string, by: string): string => text.split('\n').map((line) => `${by}${line}`).join('\n');

/**
 * Per host, each task that changed (or would), its reason, then its steps: a diff per file, the
 * scripts under `run:`; '' when no task changes. Colour only when asked (a TTY without NO_COLOR).
 */
export function formatPlan(result: RunResult, options: { colour: boolean }): string {
  const lines: string[] = [];
  for (const [host, outcome] of result) {
    const changed = outcome.tasks.filter((task) => task.status === 'changed');
    if (changed.length === 0) continue;
    lines.push(options.colour ? `${COLOURS.bold}${host}${COLOURS.reset}` : host);
    for (const task of changed) {
      lines.push(`  ${task.task}: ${task.reason.replaceAll('\n', '\n    ')}`);
      for (const step of task.steps ?? []) {
        if (step.kind === 'run') {
          lines.push('    run:', indent(step.script, '      '));
        } else if (step.kind === 'upload') {
          lines.push(`    upload: ${step.source} → ${step.path} (${step.size} bytes)`);
        } else {
          const diff = putDiff(step, host).split('\n').map((line) => (options.colour ? paint(line) : line));
          lines.push(indent(diff.join('\n'), '    '));
        }
      }
    }
  }
  return lines.length === 0 ? '' : lines.join('\n');
}

/** Colour for a terminal that wants it: stdout a TTY and NO_COLOR unset (https://no-color.org). */
export function wantsColour(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
}
