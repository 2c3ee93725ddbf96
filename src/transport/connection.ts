// What every task needs from a host: run a command, put a file, and (for the run lock) keep a
// command running for as long as the session lasts. No policy lives here.

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
  /** What it prints holds a secret (a join token): a log notes the output was withheld instead of writing it. */
  secretOutput?: boolean;
}

/** A command left running on a host: it reads its stdin until meshctl or the connection closes it. */
export interface RunningCommand {
  /** The next line it printed on stdout; null once it has ended (then see `exited`). One reader at a time. */
  nextLine(): Promise<string | null>;
  /** Settles once it has ended; rejects with ConnectError when the connection was lost first. */
  readonly exited: Promise<ExecResult>;
  /** Closes its stdin, then waits (a moment at most) for it to end. */
  end(): Promise<void>;
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
  /**
   * Starts argv (quoted as for `exec`) with its stdin left open and no timeout; it ends when it
   * exits by itself, on `end()`, or when the connection does.
   */
  start(argv: readonly string[], options?: { become?: boolean }): Promise<RunningCommand>;
  close(): Promise<void>;
}
