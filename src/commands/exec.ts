// `meshctl exec -- COMMAND`: an ad-hoc command on hosts, output shown per host. Hosts that
// cannot be reached are named with the reason; the command still runs on the others. It takes
// no run lock (it is for looking), unless asked with --lock.
import { ConnectError, detailOf, ExitCode, MeshctlError } from '../errors.js';
import { mapLimit } from '../engine/map-limit.js';
import { withReachableSessions, type LockOptions } from '../engine/sessions.js';
import type { ExecResult } from '../transport/connection.js';
import { runLockHolder } from '../transport/run-lock.js';
import type { Output } from '../output.js';
import { limitHosts, loadContext } from './context.js';

export interface ExecOptions {
  inventory: string;
  limit?: string;
  become: boolean;
  json: boolean;
  /** How many hosts run the command at once. */
  forks: number;
  /** Take each host's run lock first, waiting up to lockTimeout seconds for another run. */
  lock: boolean;
  lockTimeout: number;
  command: string[];
}

type HostOutcome =
  | { kind: 'ran'; result: ExecResult }
  | { kind: 'unreachable'; reason: string }
  /** Reached, but the command did not run to its end (timed out, or the run lock was held). */
  | { kind: 'failed'; reason: string };

export async function execOnHosts(options: ExecOptions, output: Output): Promise<number> {
  const context = await loadContext(options.inventory, { limit: options.limit });
  for (const warning of context.warnings) output.err(warning);
  const hosts = limitHosts(context.inventory, options.limit);
  // One word is a shell command line as typed (`meshctl exec -- 'ip -br a | grep br0'`);
  // several words are an argv, each quoted.
  const single = options.command.length === 1 ? options.command[0] : undefined;
  const lock: LockOptions | undefined = options.lock
    ? { timeoutSeconds: options.lockTimeout, holder: runLockHolder(), onWait: (host, holder) => output.err(`waiting for ${host}: locked by ${holder}`) }
    : undefined;

  const outcomes = await withReachableSessions(hosts, context.connect, { forks: options.forks, ...(lock === undefined ? {} : { lock }) }, async (sessions) => {
    const outcomes = new Map<string, HostOutcome>();
    for (const [name, reason] of sessions.unreachable) outcomes.set(name, { kind: 'unreachable', reason });
    for (const [name, reason] of sessions.notLocked) outcomes.set(name, { kind: 'failed', reason });
    await mapLimit([...sessions.connections], options.forks, async ([name, conn]) => {
      try {
        const result = single === undefined
          ? await conn.exec(options.command, { become: options.become })
          : await conn.execScript(single, { become: options.become });
        outcomes.set(name, { kind: 'ran', result });
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        outcomes.set(name, { kind: error instanceof ConnectError ? 'unreachable' : 'failed', reason: detailOf(error) });
      }
    });
    return outcomes;
  });

  const ordered = hosts.flatMap((host) => {
    const outcome = outcomes.get(host.name);
    return outcome === undefined ? [] : [[host.name, outcome] as const];
  });
  const succeeded = ordered.every(([, outcome]) => outcome.kind === 'ran' && outcome.result.code === 0);
  if (options.json) {
    output.out(JSON.stringify({ ok: succeeded, hosts: Object.fromEntries(ordered.map(([name, outcome]) => [name, outcomeJson(outcome)])) }));
  } else {
    for (const [name, outcome] of ordered) {
      if (outcome.kind !== 'ran') {
        output.out(`${name} | ${outcome.kind === 'unreachable' ? 'UNREACHABLE' : 'FAILED'}: ${outcome.reason}`);
        continue;
      }
      output.out(`${name} | rc=${outcome.result.code ?? outcome.result.signal} >>`);
      if (outcome.result.stdout !== '') output.out(outcome.result.stdout.trimEnd());
      if (outcome.result.stderr !== '') output.out(outcome.result.stderr.trimEnd());
    }
  }
  const unreachable = ordered.filter(([, outcome]) => outcome.kind === 'unreachable').map(([name]) => name);
  if (unreachable.length > 0) {
    const others = ordered.filter(([, outcome]) => outcome.kind === 'ran').length;
    const ran = others === 0 ? 'the command ran nowhere' : `the command ran on ${others === 1 ? '1 other host' : `${others} other hosts`}`;
    output.err(`${unreachable.join(', ')} could not be reached; ${ran}.`);
    return ExitCode.unreachable;
  }
  return succeeded ? ExitCode.ok : ExitCode.hostFailed;
}

/** `{stdout, stderr, code, signal, unreachable}`, and `reason` for a host where it did not run. */
function outcomeJson(outcome: HostOutcome): ExecResult & { unreachable: boolean; reason?: string } {
  if (outcome.kind === 'ran') return { ...outcome.result, unreachable: false };
  return { stdout: '', stderr: '', code: null, signal: null, unreachable: outcome.kind === 'unreachable', reason: outcome.reason };
}
