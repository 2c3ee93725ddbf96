// What every task needs from a host: run a command, put a file. No policy lives here.

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command was killed by a signal. */
  code: number | null;
  signal: string | null;
}

export interface ExecOptions {
  /** Text written to the command's standard input. */
  stdin?: string;
  /** Overrides the connection's command timeout. */
  timeoutMs?: number;
  /** Run as root through sudo when the connection's user is not root (default: the host's `become`). */
  become?: boolean;
}

export interface Connection {
  /** The inventory name of the host. */
  readonly host: string;
  /**
   * Runs argv as one command; every argument is shell-quoted, so no inventory value is ever
   * parsed by a shell. Never throws on a non-zero exit: look at `code`.
   * Throws CommandTimeoutError past the timeout, ConnectError when the connection is lost.
   */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Runs a script with `sh -c` (for scripts meshctl itself wrote; values inside must be quoted). */
  execScript(script: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes content to remotePath (as root when becoming), atomically, with the given mode. */
  putFile(remotePath: string, content: string | Buffer, options?: { mode?: number; become?: boolean }): Promise<void>;
  close(): Promise<void>;
}
