// A Connection that reports what it does (LogEvents) around any other Connection (SSH or a test's
// fake): each command's start and end with its duration, status and output, each file put, the
// close; and loggedConnector reports each connection opened or not. It sits above the
// connection's own sudo, so a become password on a command's stdin never reaches the log.
import { performance } from 'node:perf_hooks';
import { detailOf, MeshctlError } from '../errors.js';
import type { CommandText, LogSink } from '../logging/events.js';
import type { Connection, ExecOptions, ExecResult, RunningCommand } from './connection.js';

const WITHHELD = '(withheld: this output holds a secret)';

export class LoggedConnection implements Connection {
  readonly host: string;
  private nextId = 1;

  constructor(
    readonly inner: Connection,
    private readonly log: LogSink,
  ) {
    this.host = inner.host;
  }

  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.logged({ argv }, options, () => this.inner.exec(argv, options));
  }

  execScript(script: string, options?: ExecOptions): Promise<ExecResult> {
    return this.logged({ script }, options, () => this.inner.execScript(script, options));
  }

  async putFile(remotePath: string, content: string | Buffer, options?: { mode?: number; become?: boolean }): Promise<void> {
    const started = performance.now();
    const event = { kind: 'file-put', host: this.host, path: remotePath, bytes: Buffer.byteLength(content), mode: options?.mode } as const;
    try {
      await this.inner.putFile(remotePath, content, options);
    } catch (error) {
      this.log({ ...event, ms: performance.now() - started, error: messageOf(error) });
      throw error;
    }
    this.log({ ...event, ms: performance.now() - started });
  }

  async start(argv: readonly string[], options?: { become?: boolean }): Promise<RunningCommand> {
    const id = this.nextId++;
    const command: CommandText = { argv };
    const started = performance.now();
    this.log({ kind: 'command-started', host: this.host, id, command, longRunning: true });
    let running: RunningCommand;
    try {
      running = await this.inner.start(argv, options);
    } catch (error) {
      this.log({ kind: 'command-failed', host: this.host, id, command, ms: performance.now() - started, reason: messageOf(error) });
      throw error;
    }
    running.exited.then(
      (result) => this.log({ kind: 'command-finished', host: this.host, id, command, ms: performance.now() - started, ...result }),
      (error: unknown) => this.log({ kind: 'command-failed', host: this.host, id, command, ms: performance.now() - started, reason: messageOf(error) }),
    );
    return running;
  }

  async close(): Promise<void> {
    await this.inner.close();
    this.log({ kind: 'closed', host: this.host });
  }

  private async logged(command: CommandText, options: ExecOptions | undefined, run: () => Promise<ExecResult>): Promise<ExecResult> {
    const id = this.nextId++;
    this.log({ kind: 'command-started', host: this.host, id, command, ...(options?.stdin === undefined ? {} : { stdin: options.stdin }) });
    const started = performance.now();
    try {
      const result = await run();
      const shown = options?.secretOutput === true ? { ...result, stdout: WITHHELD, stderr: result.stderr === '' ? '' : WITHHELD } : result;
      this.log({ kind: 'command-finished', host: this.host, id, command, ms: performance.now() - started, ...shown });
      return result;
    } catch (error) {
      this.log({ kind: 'command-failed', host: this.host, id, command, ms: performance.now() - started, reason: messageOf(error) });
      throw error;
    }
  }
}

/** `connect`, reporting each connection opened (then wrapped in a LoggedConnection) or failed. */
export function loggedConnector<H extends { name: string }>(connect: (host: H) => Promise<Connection>, log: LogSink): (host: H) => Promise<Connection> {
  return async (host) => {
    const started = performance.now();
    let conn: Connection;
    try {
      conn = await connect(host);
    } catch (error) {
      log({ kind: 'connect-failed', host: host.name, ms: performance.now() - started, reason: messageOf(error) });
      throw error;
    }
    log({ kind: 'connected', host: host.name, ms: performance.now() - started });
    return new LoggedConnection(conn, log);
  };
}

/** The events name the host already: a MeshctlError's detail, without it. */
function messageOf(error: unknown): string {
  if (error instanceof MeshctlError) return detailOf(error);
  return error instanceof Error ? error.message : String(error);
}
