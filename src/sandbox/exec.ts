// Runs a local program from an argv array (no shell) and captures its output, e.g.
// `await runChecked(['docker', 'network', 'rm', name])`.
import { spawn } from 'node:child_process';
import { SandboxError } from '../errors.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal (or the timeout). */
  code: number | null;
}

export interface RunOptions {
  /** Text written to the program's standard input. */
  input?: string;
  /** Killed (SIGKILL) after this long; default 2 minutes. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const defaultTimeoutMs = 120_000;

/** Runs argv and resolves with its result whatever the exit code; rejects only if it cannot start. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('runCommand: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? defaultTimeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new SandboxError(`cannot run ${program}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    // A program that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs argv and returns its stdout; throws SandboxError with the tail of stderr on failure. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) throw new SandboxError(describeFailure(argv, result));
  return result.stdout;
}

/** `docker network rm x` failed (exit 1): <last lines of stderr> */
export function describeFailure(argv: readonly string[], result: CommandOutput): string {
  const status = result.code === null ? 'killed (timeout?)' : `exit ${result.code}`;
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-20).join('\n');
  return `\`${argv.map(shorten).join(' ')}\` failed (${status})${output === '' ? '' : `:\n${output}`}`;
}

/** Scripts passed as one argument would flood the message: show their start only. */
function shorten(arg: string): string {
  const oneLine = arg.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `'${oneLine.slice(0, 57)}...'` : arg;
}
