// `meshctl exec -- COMMAND`: an ad-hoc command on hosts, output shown per host.
import { ExitCode } from '../errors.js';
import { mapLimit } from '../engine/map-limit.js';
import { describeUnreachable, withSessions } from '../engine/sessions.js';
import type { ExecResult } from '../transport/connection.js';
import type { Output } from '../output.js';
import { limitHosts, loadContext } from './context.js';

export interface ExecOptions {
  inventory: string;
  limit?: string;
  become: boolean;
  json: boolean;
  /** How many hosts run the command at once. */
  forks: number;
  command: string[];
}

export async function execOnHosts(options: ExecOptions, output: Output): Promise<number> {
  const context = await loadContext(options.inventory);
  const hosts = limitHosts(context.inventory, options.limit);
  // One word is a shell command line as typed (`meshctl exec -- 'ip -br a | grep br0'`);
  // several words are an argv, each quoted.
  const single = options.command.length === 1 ? options.command[0] : undefined;

  const outcome = await withSessions(hosts, context.connect, { forks: options.forks }, async (connections) => {
    const results = new Map<string, ExecResult>();
    await mapLimit(hosts, options.forks, async (host) => {
      const conn = connections.get(host.name);
      if (conn === undefined) return;
      const result = single === undefined
        ? await conn.exec(options.command, { become: options.become })
        : await conn.execScript(single, { become: options.become });
      results.set(host.name, result);
    });
    return results;
  });

  if (!outcome.connected) {
    output.err(describeUnreachable(outcome.unreachable));
    return ExitCode.unreachable;
  }
  const ordered = hosts.flatMap((host) => {
    const result = outcome.value.get(host.name);
    return result === undefined ? [] : [[host.name, result] as const];
  });
  if (options.json) {
    output.out(JSON.stringify({ ok: ordered.every(([, r]) => r.code === 0), hosts: Object.fromEntries(ordered) }));
  } else {
    for (const [name, result] of ordered) {
      output.out(`${name} | rc=${result.code ?? result.signal} >>`);
      if (result.stdout !== '') output.out(result.stdout.trimEnd());
      if (result.stderr !== '') output.out(result.stderr.trimEnd());
    }
  }
  return ordered.every(([, result]) => result.code === 0) ? ExitCode.ok : ExitCode.hostFailed;
}
