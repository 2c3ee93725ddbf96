// A lock file shared by processes on this machine, e.g. `await withFileLock(path, 900_000, onWait, build)`.
// The file holds the owner's pid; a lock whose owner is gone is taken over. Past the timeout it
// throws what `timedOut` makes of the message (each caller's own error, with its exit code).
import { open, readFile, unlink } from 'node:fs/promises';
import { retryWithBackoff } from './retry.js';

export async function withFileLock<T>(
  path: string,
  timeoutMs: number,
  onWait: (ownerPid: number) => void,
  fn: () => Promise<T>,
  timedOut: (message: string) => Error = (message) => new Error(message),
): Promise<T> {
  await acquire(path, timeoutMs, onWait, timedOut);
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/** The lock is held by a live process (or was just freed from a dead one): try again. */
class LockHeld extends Error {}

async function acquire(path: string, timeoutMs: number, onWait: (ownerPid: number) => void, timedOut: (message: string) => Error): Promise<void> {
  let owner = 0;
  let told = false;
  const take = async (): Promise<void> => {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      await unlink(path).catch(() => undefined);
    } else if (!told) {
      onWait(owner);
      told = true;
    }
    throw new LockHeld();
  };
  await retryWithBackoff(take, { timeoutMs, maxDelayMs: 1_000, retryIf: (error) => error instanceof LockHeld }).catch((error: unknown) => {
    if (!(error instanceof LockHeld)) throw error;
    throw timedOut(`${path} is still held by process ${owner} after ${timeoutMs / 1000}s: wait for it, or delete the file if that process is gone`);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
