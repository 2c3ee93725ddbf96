// The contract of an idempotent module: facts to read, then a pure plan from facts to steps.
//
// A module never runs anything itself. The engine gathers its facts (read-only commands),
// calls `plan` (pure), and only then runs the steps it returned. So check mode is free, and a
// plan is unit-tested with fixture facts, without any host.
import type { z } from 'zod';
import type { ExecResult } from '../transport/connection.js';

/** A read-only command and a pure parser of what it printed. */
export interface FactQuery<T> {
  /** Shell script; values inside must be quoted with shellQuote. */
  command: string;
  parse(result: ExecResult): T;
  /** It prints a secret (a join token): the batch it is read in is kept out of logs. */
  secret?: boolean;
}

/**
 * What a plan asks the engine to do, in order. Scripts must quote every value (shellJoin). A put
 * carries the file it replaces when the module read it as a fact (null: there is none), so that
 * `plan`/`--diff` can show the change; left out when the module did not read it.
 */
export type Step =
  | { kind: 'run'; script: string }
  | { kind: 'put'; path: string; content: string; mode: number; before?: string | null }
  /** A file of the controller's (a package to ship) copied to `path` as it is, read when the step runs. */
  | { kind: 'upload'; path: string; source: string; size: number; mode: number };

export type Plan =
  | { changed: false; reason: string; notice?: boolean }
  | { changed: true; reason: string; steps: Step[]; notice?: boolean };

export interface Module<Params, Facts> {
  /** The name playbooks use, e.g. `ovs_bridge`. */
  name: string;
  params: z.ZodType<Params>;
  facts(params: Params): { [K in keyof Facts]: FactQuery<Facts[K]> };
  plan(params: Params, facts: Facts): Plan;
  /**
   * Values a later play may use (the task says `register: NAME`; templates read
   * `registered.NAME.KEY`), from the facts once the task is done: a swarm's join tokens, say.
   */
  outputs?(params: Params, facts: Facts): Record<string, unknown>;
  /** Outputs that are secrets: never printed, taken out of logs and of shown scripts. */
  secretOutputs?: readonly string[];
}

// Modules are stored side by side in one registry; the engine only moves their values around.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

export function defineModule<Params, Facts>(module: Module<Params, Facts>): Module<Params, Facts> {
  return module;
}

/**
 * A plan's refusal: a state on the host the module must not touch, or cannot get past (a masked
 * unit, a bridge another task should have made). The engine reports it as the task's failure;
 * any other error thrown by a plan is a bug in meshctl.
 */
export class Refusal extends Error {
  override name = 'Refusal';
}

/**
 * A parser's rejection of what the host printed (a command that failed, output of an unknown
 * shape). The engine reports it as the task's failure, with the output; any other error thrown
 * by a parser is a bug in meshctl.
 */
export class FactParseError extends Error {
  override name = 'FactParseError';
}

/** Ends a plan with a refusal: `if (load === 'masked') refuse(`${name} is masked`)`. */
export function refuse(reason: string): never {
  throw new Refusal(reason);
}

export const ok = (reason: string): Plan => ({ changed: false, reason });
/** Nothing to change, and something the operator should read in the recap (a choice made, state kept). */
export const notice = (reason: string): Plan => ({ changed: false, reason, notice: true });
/** With `notice`, the reason also goes to the recap's NOTES (what the change leaves behind: images in an old data-root). */
export const change = (reason: string, steps: Step[], options: { notice?: boolean } = {}): Plan =>
  options.notice === true ? { changed: true, reason, steps, notice: true } : { changed: true, reason, steps };
export const run = (script: string): Step => ({ kind: 'run', script });
export const put = (path: string, content: string, mode = 0o644, before?: string | null): Step =>
  before === undefined ? { kind: 'put', path, content, mode } : { kind: 'put', path, content, mode, before };

/** Copies the controller's file `source` (of `size` bytes) to `path` on the host. */
export const upload = (source: string, path: string, size: number, mode = 0o644): Step => ({ kind: 'upload', path, source, size, mode });

/** What a file fact says a put replaces: its text, or null when there is no such file. */
export const textBefore = (file: { exists: false } | { exists: true; text: string }): string | null => (file.exists ? file.text : null);
