// One SSH session to a host as a Connection: runs quoted commands (through sudo when becoming),
// each on its own channel with a timeout that kills the command on the host, and puts files
// atomically; `start` leaves one running with its stdin open (the run lock's holder). A lost
// connection fails every command running on it.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { CommandTimeoutError, ConnectError, TaskError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection, ExecOptions, ExecResult, RunningCommand } from './connection.js';
import { endpoint, errorText } from './endpoint.js';
import { OutputLines } from './output-lines.js';
import { shellJoin, shellQuote } from './quote.js';
import { KILL_RUN_SCRIPT, PLACE_SCRIPT, UPLOAD_SCRIPT } from './remote-scripts.js';
import { Sudo } from './sudo.js';

const CLOSE_WAIT_MS = 2_000;
const KILL_TIMEOUT_MS = 15_000;
const RUN_ID_VARIABLE = 'MESHCTL_RUN_ID';
const LONGEST_TIMER_MS = 2_147_483_647;
const DEFAULT_FILE_MODE = 0o644;

interface RunRequest {
  command: string;
  /** What the command is called in a timeout message (never contains the stdin). */
  label: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  become?: boolean;
  /** False for the kill command itself. */
  killOnTimeout?: boolean;
}

export class SshConnection implements Connection {
  readonly host: string;
  private closed = false;
  private lost: ConnectError | null = null;
  private readonly abortRunning = new Set<(error: ConnectError) => void>();
  private readonly sudo: Sudo;

  constructor(
    private readonly ssh: NodeSSH,
    private readonly target: Host,
    becomePassword: string | undefined,
  ) {
    this.host = target.name;
    this.sudo = new Sudo((request) => this.runRaw(request), target, becomePassword);
    const client = ssh.connection;
    if (client === null) throw new Error('node-ssh reported a connection without a client');
    client.on('error', (error: Error) => this.markLost(`the connection to ${endpoint(target)} failed: ${error.message}`));
    client.on('close', () => this.markLost(`the connection to ${endpoint(target)} was closed`));
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = shellJoin(argv);
    return this.run({ ...options, command, label: command });
  }

  execScript(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.run({ ...options, command: shellJoin(['sh', '-c', script]), label: `sh -c ${shellQuote(script)}` });
  }

  async putFile(remotePath: string, content: string | Buffer, options: { mode?: number; become?: boolean } = {}): Promise<void> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const fail = (result: ExecResult): never => {
      throw new TaskError(this.host, `put file ${remotePath}`, result.stderr.trim() || `exit code ${result.code}`);
    };
    // Upload as the login user: under `sudo -S` the password shares stdin with the content.
    const upload = await this.run({ command: shellJoin(['sh', '-c', UPLOAD_SCRIPT]), label: `upload ${remotePath}`, stdin: bytes, become: false });
    const tempPath = upload.stdout;
    if (upload.code !== 0 || !/^\/[^\n]+$/.test(tempPath)) fail(upload);
    const mode = (options.mode ?? DEFAULT_FILE_MODE).toString(8);
    const placeArgv = ['sh', '-c', PLACE_SCRIPT, 'place-file', tempPath, remotePath, mode, String(bytes.length)];
    const place = await this.run({ command: shellJoin(placeArgv), label: `install ${remotePath}`, become: options.become }).catch(async (error: unknown) => {
      // PLACE_SCRIPT removes the upload itself; here it never ran (sudo refused, timeout).
      await this.run({ command: shellJoin(['rm', '-f', '--', tempPath]), label: `rm ${tempPath}`, become: false }).catch(() => undefined);
      throw error;
    });
    if (place.code !== 0) fail(place);
  }

  async start(argv: readonly string[], options: { become?: boolean } = {}): Promise<RunningCommand> {
    const command = shellJoin(argv);
    const becoming = (options.become ?? this.target.become) && this.target.ssh.user !== 'root';
    const wrapped = becoming ? await this.sudo.wrap(command, undefined) : { command };
    if (this.closed) throw new Error(`${this.host}: the connection is already closed`);
    if (this.lost !== null) throw this.lost;
    // Ended only by end(): while it is open the command runs. The sudo password goes first.
    const stdin = new PassThrough();
    if (wrapped.stdin !== undefined && wrapped.stdin.length > 0) stdin.write(wrapped.stdin);
    const lines = new OutputLines();
    const stderr: Buffer[] = [];
    const exited = new Promise<ExecResult>((resolve, reject) => {
      const abort = (error: ConnectError): void => {
        this.abortRunning.delete(abort);
        reject(error);
      };
      this.abortRunning.add(abort);
      this.ssh
        .execCommand(wrapped.command, { stdin, noTrim: true, onStdout: (chunk) => lines.push(chunk), onStderr: (chunk) => stderr.push(chunk) })
        .then(
          (result) => {
            this.abortRunning.delete(abort);
            // A channel torn down with the connection closes without an exit status.
            if (this.lost !== null && result.code === null && result.signal === null) reject(this.lost);
            else resolve({ stdout: result.stdout, stderr: Buffer.concat(stderr).toString('utf8'), code: result.code, signal: result.signal });
          },
          (error: unknown) => {
            this.abortRunning.delete(abort);
            reject(this.lost ?? new ConnectError(this.host, 'unreachable', `cannot run a command on ${endpoint(this.target)}: ${errorText(error)}`));
          },
        );
    }).finally(() => lines.end());
    // Whoever ends it need not look at how it ended.
    exited.catch(() => undefined);
    return {
      nextLine: () => lines.next(),
      exited,
      end: async () => {
        stdin.end();
        await Promise.race([exited.catch(() => undefined), sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.ssh.connection;
    if (client === null || this.lost !== null) return;
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      setTimeout(resolve, CLOSE_WAIT_MS).unref();
      client.end();
    });
  }

  private markLost(detail: string): void {
    if (this.lost !== null) return;
    const why = this.closed ? 'meshctl closed the connection while a command was running' : detail;
    this.lost = new ConnectError(this.host, 'unreachable', why);
    for (const abort of this.abortRunning) abort(this.lost);
  }

  /** Runs a command as the login user, or through sudo when becoming; past its timeout the
   * command is closed, then killed on the host, before CommandTimeoutError is thrown. */
  private async run(request: RunRequest): Promise<ExecResult> {
    const runId = randomBytes(8).toString('hex');
    // Every process the command starts inherits this tag, which is how killRun finds them.
    const command = `export ${RUN_ID_VARIABLE}=${runId}; ${request.command}`;
    const becoming = (request.become ?? this.target.become) && this.target.ssh.user !== 'root';
    const wrapped = becoming ? await this.sudo.wrap(command, request.stdin) : { command, stdin: request.stdin };
    try {
      return await this.runRaw({ ...request, ...wrapped });
    } catch (error) {
      if (error instanceof CommandTimeoutError && request.killOnTimeout !== false) await this.killRun(runId, becoming);
      throw error;
    }
  }

  /** Closing the channel does not stop the command (sshd cannot signal root sessions), so kill
   * every process tagged with its run id; best effort, a failure here changes nothing. */
  private async killRun(runId: string, become: boolean): Promise<void> {
    const command = shellJoin(['sh', '-c', KILL_RUN_SCRIPT, 'kill-run', RUN_ID_VARIABLE, runId]);
    await this.run({ command, label: 'kill timed-out command', timeoutMs: KILL_TIMEOUT_MS, become, killOnTimeout: false }).catch(() => undefined);
  }

  /** Runs one command on a fresh channel; stdout/stderr are decoded once at the end. */
  private runRaw(request: RunRequest): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Error(`${this.host}: the connection is already closed`));
    if (this.lost !== null) return Promise.reject(this.lost);
    const timeoutMs = request.timeoutMs ?? this.target.ssh.commandTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let channel: ClientChannel | undefined;
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abortRunning.delete(abort);
        action();
      };
      const abort = (error: ConnectError): void => settle(() => reject(error));
      this.abortRunning.add(abort);
      const timer =
        timeoutMs > 0 && timeoutMs <= LONGEST_TIMER_MS
          ? setTimeout(() => {
              channel?.close();
              settle(() => reject(new CommandTimeoutError(this.host, shorten(request.label), timeoutMs)));
            }, timeoutMs)
          : undefined;
      const stdin = request.stdin === undefined || request.stdin.length === 0 ? undefined : Readable.from([asBuffer(request.stdin)]);
      this.ssh
        .execCommand(request.command, {
          stdin,
          noTrim: true,
          onChannel: (c) => (channel = c),
          onStdout: (chunk) => stdout.push(chunk),
          onStderr: (chunk) => stderr.push(chunk),
        })
        .then(
          (result) =>
            settle(() => {
              // A channel torn down with the connection closes without an exit status.
              if (this.lost !== null && result.code === null && result.signal === null) reject(this.lost);
              else resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code: result.code, signal: result.signal });
            }),
          (error: unknown) =>
            settle(() => reject(this.lost ?? new ConnectError(this.host, 'unreachable', `cannot run a command on ${endpoint(this.target)}: ${errorText(error)}`))),
        );
    });
  }
}

function asBuffer(data: string | Buffer | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function shorten(label: string): string {
  return label.length > 200 ? `${label.slice(0, 200)}…` : label;
}
