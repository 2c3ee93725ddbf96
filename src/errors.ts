// One error hierarchy: everything meshctl means to report is a MeshctlError with an exit code.
// Only the CLI entry (src/cli/main.ts) prints errors and sets the process exit code.

export const ExitCode = {
  ok: 0,
  /**
   * A task failed on at least one host (every host was reached, the others ran to the end), a
   * host stayed locked by another run past --lock-timeout, or verification found a broken pair.
   */
  hostFailed: 1,
  /** Bad input: inventory, playbook or command-line flags. No host was touched. */
  badInput: 2,
  /**
   * A host could not be reached or would not let meshctl in (connect, auth, host key, sudo), at
   * the start or during the run; every other host was still run. Wins over hostFailed when both
   * happen: the run cannot have converged a host it never reached.
   */
  unreachable: 3,
  /** The local sandbox could not be set up (engine, image, containers). */
  sandbox: 4,
  /**
   * The state store the inventory names (etcd, Consul) could not be reached on any endpoint, or
   * would not take the record. Found before any host is touched.
   */
  stateStore: 5,
  /** A bug in meshctl: printed with its stack. */
  internal: 70,
  /**
   * Interrupted (Ctrl-C or SIGTERM) before every host finished: the shell's 128 + SIGINT. The
   * steps running at the first signal finished; the recap names the hosts left unfinished.
   */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class MeshctlError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error's message without the host's name, for text that names the host already. */
export function detailOf(error: MeshctlError): string {
  return 'detail' in error && typeof error.detail === 'string' ? error.detail : error.message;
}

/** A problem at a place in an input file: `file:line:column field: message`. */
export interface InputProblem {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

/** A problem at a field of a parsed input, before it is mapped to a line: `['mesh', 'pool']`. */
export interface FieldProblem {
  path: readonly (string | number)[];
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const field = p.field === '' ? '' : `${p.field}: `;
  return `${p.file}:${p.line}:${p.column} ${field}${p.message}`;
}

/** Invalid inventory or playbook; carries every problem found, not just the first. */
export class InputError extends MeshctlError {
  constructor(readonly problems: readonly InputProblem[]) {
    super(problems.map(formatProblem).join('\n'), ExitCode.badInput);
  }
}

/** Invalid command-line usage (unknown flag, missing argument, bad --set). */
export class UsageError extends MeshctlError {
  constructor(message: string) {
    super(message, ExitCode.badInput);
  }
}

export type ConnectFailure = 'unreachable' | 'timeout' | 'auth' | 'host-key-changed' | 'host-key-unknown' | 'become';

/** A host could not be reached or would not let us in. */
export class ConnectError extends MeshctlError {
  constructor(
    readonly host: string,
    readonly reason: ConnectFailure,
    /** The message without the host's name. */
    readonly detail: string,
  ) {
    super(`${host}: ${detail}`, ExitCode.unreachable);
  }
}

/** A command on a host did not finish in time. */
export class CommandTimeoutError extends MeshctlError {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${host}: command timed out after ${timeoutMs / 1000}s: ${command}`, ExitCode.hostFailed);
  }

  /** The message without the host's name. */
  get detail(): string {
    return `command timed out after ${this.timeoutMs / 1000}s: ${this.command}`;
  }
}

/** A fact could not be gathered or parsed, or an operation's command failed. */
export class TaskError extends MeshctlError {
  constructor(
    readonly host: string,
    readonly task: string,
    /** The message without the host's and the task's names. */
    readonly detail: string,
  ) {
    super(`${host}: ${task}: ${detail}`, ExitCode.hostFailed);
  }
}

/** Another run held a host's run lock for longer than this run would wait. */
export class HostLockedError extends MeshctlError {
  constructor(
    readonly host: string,
    /** Who holds it, as that run wrote it: `meshctl pid N from HOST since T`. */
    readonly holder: string,
    readonly waitedSeconds: number,
  ) {
    super(`${host}: locked by ${holder} (waited ${waitedSeconds}s, --lock-timeout)`, ExitCode.hostFailed);
  }

  /** The message without the host's name. */
  get detail(): string {
    return `locked by ${this.holder} (waited ${this.waitedSeconds}s, --lock-timeout)`;
  }
}

export class SandboxError extends MeshctlError {
  constructor(message: string) {
    super(message, ExitCode.sandbox);
  }
}

/** The inventory's state store (etcd, Consul) did not answer, or not as meshctl expects. */
export class StateStoreError extends MeshctlError {
  constructor(message: string) {
    super(message, ExitCode.stateStore);
  }
}
