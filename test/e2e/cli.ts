// Runs the built meshctl CLI as a user would, and never throws on a non-zero exit.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/meshctl.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function meshctl(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: 'true', ...options.env }, timeout: options.timeoutMs ?? 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        if (process.env.MESHCTL_E2E_VERBOSE) console.log(`$ meshctl ${args.join(' ')}\n${stdout}${stderr}`);
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Parses the one JSON object a --json command prints, with the output in the message if it is not. */
export function json<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
