// The run lock: while a run works on a host it holds an flock on /run/meshctl.lock there, from a
// command of its own (RUN_LOCK_SCRIPT) that lives as long as its stdin, the SSH channel, stays
// open. So the lock goes when the run lets go, when the connection drops (also when meshctl is
// killed: the TCP connection closes, sshd ends the channel, the command reads the end of its
// stdin and exits) and at a reboot (/run is a tmpfs, and no flock outlives its process anyway).
// A run that finds a host locked is told who holds it: the holder writes that into the file.
import { hostname } from 'node:os';
import { HostLockedError, TaskError } from '../errors.js';
import { currentRunLog } from '../logging/run-log.js';
import type { Connection, RunningCommand } from './connection.js';
import { RUN_LOCK_SCRIPT } from './remote-scripts.js';

export const RUN_LOCK_PATH = '/run/meshctl.lock';

/** The lock script's exit code when the other run still held the lock at the end of the wait. */
const STILL_HELD = 75;
const UNKNOWN_HOLDER = 'another meshctl run (which has not written who it is yet)';

export interface RunLockRequest {
  /** Who this run is, for the message of a run that finds the host locked: runLockHolder(). */
  holder: string;
  /** How long to wait for another run to let go; 0 tries once. */
  waitSeconds: number;
  /** Told who holds the lock when another run does and this one is going to wait. */
  onWait?: (holder: string) => void;
  /** The lock file (tests use one of their own). */
  path?: string;
}

export interface RunLock {
  /** Lets go of the lock (ends the command holding it). */
  release(): Promise<void>;
}

/** `meshctl pid N from HOST since T`: what a waiting run is told about this one. */
export function runLockHolder(now: Date = new Date()): string {
  return `meshctl pid ${process.pid} from ${hostname()} since ${now.toISOString()}`;
}

/** The command that takes and holds the lock (what takeRunLock starts on the host, as root). */
export function runLockCommand(path: string, holder: string, waitSeconds: number): string[] {
  const wait = waitSeconds > 0 ? waitSeconds.toFixed(3) : '0';
  return ['sh', '-c', RUN_LOCK_SCRIPT, 'meshctl-run-lock', path, holder, wait];
}

/**
 * Takes the host's run lock, waiting up to `waitSeconds` for another run to let go of it.
 * Throws HostLockedError when it did not in time, ConnectError when the host would not let
 * meshctl in (sudo) or the connection was lost, TaskError when the lock command failed.
 */
export async function takeRunLock(conn: Connection, request: RunLockRequest): Promise<RunLock> {
  const path = request.path ?? RUN_LOCK_PATH;
  const command = await conn.start(runLockCommand(path, request.holder, request.waitSeconds), { become: true });
  let holder = '';
  for (let line = await command.nextLine(); line !== null; line = await command.nextLine()) {
    if (line === 'locked') return { release: () => command.end() };
    if (line.startsWith('busy ')) {
      holder = line.slice('busy '.length).trim();
      currentRunLog()?.emit({ kind: 'lock-wait', host: conn.host, holder: holder || UNKNOWN_HOLDER, waitSeconds: request.waitSeconds });
      if (request.waitSeconds > 0) request.onWait?.(holder || UNKNOWN_HOLDER);
    }
  }
  return failed(conn.host, path, command, holder || UNKNOWN_HOLDER, request.waitSeconds);
}

async function failed(host: string, path: string, command: RunningCommand, holder: string, waitSeconds: number): Promise<never> {
  const result = await command.exited;
  if (result.code === STILL_HELD) throw new HostLockedError(host, holder, Math.round(waitSeconds));
  const why = result.stderr.trim().split('\n').slice(-3).join('; ') || `exit ${result.code ?? result.signal}`;
  throw new TaskError(host, 'run lock', `cannot take the run lock ${path}: ${why}`);
}
