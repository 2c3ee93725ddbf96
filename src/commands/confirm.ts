// The question `up --confirm` asks before applying a plan it has shown, and where the answer
// comes from: the terminal, or for tests any line reader. Without a terminal there is no one to
// ask, so only -y lets it go on.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';

export interface Prompt {
  /** Whether a person can answer (stdin is a terminal). */
  interactive: boolean;
  ask(question: string): Promise<string>;
}

export const terminalPrompt: Prompt = {
  interactive: process.stdin.isTTY === true,
  async ask(question) {
    const lines = createInterface({ input: process.stdin, output: process.stderr });
    // On a terminal readline reads Ctrl-C itself (no SIGINT reaches the process): it means no.
    const asking = new AbortController();
    lines.on('SIGINT', () => asking.abort());
    try {
      return await lines.question(question, { signal: asking.signal });
    } catch (error) {
      if (asking.signal.aborted) return '';
      throw error;
    } finally {
      lines.close();
    }
  },
};

/** Whether to apply the changes shown for `hosts` host(s): -y, or a "y"/"yes" at the prompt. */
export async function confirmApply(hosts: number, options: { yes: boolean; prompt: Prompt }): Promise<boolean> {
  if (options.yes) return true;
  if (!options.prompt.interactive) {
    throw new UsageError('--confirm asks before applying, but stdin is not a terminal: run `meshctl plan` to review, then `up -y` (or `up --confirm -y`)');
  }
  const answer = await options.prompt.ask(`Apply these changes to ${hosts} host(s)? [y/N] `);
  return /^(y|yes)$/i.test(answer.trim());
}
