// The sudo password asked once on the terminal, with echo off, before any connection: for the
// hosts with `become: true` whose inventory says `become_password_prompt: true` and names no
// variable for it (the variable wins). One answer serves every such host; it is only sent to a
// host whose sudo asks for a password. Without a person at a terminal there is no one to ask,
// so such a run stops as bad input before touching a host.
//   await askBecomePassword(inventory.hosts, terminalSecretPrompt) → 'hunter2' (or undefined)
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import type { Host } from '../inventory/types.js';

export interface SecretPrompt {
  /** Whether a person can answer: stdin and stderr are terminals. */
  interactive: boolean;
  /** One line read with echo off. */
  askSecret(question: string): Promise<string>;
}

export const terminalSecretPrompt: SecretPrompt = {
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  askSecret: (question) => readHidden(question, process.stdin, process.stderr),
};

/** The hosts an asked password is for: become, the prompt allowed, no variable named. */
export function hostsPromptingPassword(hosts: readonly Host[]): Host[] {
  return hosts.filter((host) => host.become && host.becomePasswordPrompt === true && host.becomePasswordEnv === undefined);
}

/** The password typed for those hosts; undefined when none needs one or the answer was empty. */
export async function askBecomePassword(hosts: readonly Host[], prompt: SecretPrompt): Promise<string | undefined> {
  const prompting = hostsPromptingPassword(hosts);
  if (prompting.length === 0) return undefined;
  const names = prompting.length === hosts.length ? 'every host' : prompting.map((host) => host.name).join(', ');
  if (!prompt.interactive) {
    throw new UsageError(
      `become_password_prompt is set for ${names}, but this run has no terminal to ask on (stdin and stderr must be terminals): put the sudo password in an environment variable and name it with become_password_env`,
    );
  }
  // Empty: the operator has none to give; a host whose sudo then asks fails with that reason.
  const answer = await prompt.askSecret(`sudo password for ${names}: `);
  return answer === '' ? undefined : answer;
}

/**
 * Reads one line from a terminal without echoing it: readline's echo goes to a stream that drops
 * it, while the question goes to the real one. Ctrl-C or end of input answers nothing.
 */
export function readHidden(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
    const lines = createInterface({ input, output: silent, terminal: true });
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      lines.close();
      output.write('\n');
      finish();
    };
    output.write(question);
    lines.once('line', (line) => settle(() => resolve(line)));
    lines.once('SIGINT', () => settle(() => reject(new UsageError('interrupted at the sudo password prompt: nothing was run'))));
    lines.once('close', () => settle(() => reject(new UsageError('no sudo password was given (end of input): nothing was run'))));
  });
}
