// The run lock's protocol, against fake hosts whose commands run in a local sh with the real
// flock (util-linux): two FakeHosts given one lock file are two runs against the same host.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { HostLockedError, TaskError } from '../../../src/errors.js';
import { shellJoin } from '../../../src/transport/quote.js';
import { runLockCommand, runLockHolder, takeRunLock, type RunLock } from '../../../src/transport/run-lock.js';
import { FakeHost } from '../engine/fake-host.js';

const dir = mkdtempSync(path.join(tmpdir(), 'meshctl-run-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const lockFile = (): string => path.join(dir, `lock-${++files}`);

const FIRST = 'meshctl pid 111 from laptop since 2030-01-02T03:04:05.000Z';
const SECOND = 'meshctl pid 222 from ci-runner since 2030-01-02T03:04:06.000Z';

/** How long an attempt took, in seconds, and how it ended. */
async function timed<T>(attempt: Promise<T>): Promise<{ seconds: number; outcome: T | unknown }> {
  const started = Date.now();
  const outcome = await attempt.catch((error: unknown) => error);
  return { seconds: (Date.now() - started) / 1000, outcome };
}

describe('takeRunLock', () => {
  it('takes a free lock as root, and writes who holds it into the lock file', async () => {
    const file = lockFile();
    const conn = new FakeHost('node1');
    const lock = await takeRunLock(conn, { path: file, holder: FIRST, waitSeconds: 0 });
    expect(readFileSync(file, 'utf8')).toBe(`${FIRST}\n`);
    expect(conn.calls).toEqual([{ kind: 'start', command: shellJoin(runLockCommand(file, FIRST, 0)), become: true }]);
    await lock.release();
  });

  it('makes a second run wait, saying who holds the lock, until the first lets go', async () => {
    const file = lockFile();
    const first = await takeRunLock(new FakeHost('node1'), { path: file, holder: FIRST, waitSeconds: 0 });
    const told: string[] = [];
    let second: Promise<RunLock> | undefined;
    const waiting = new Promise<void>((resolve) => {
      second = takeRunLock(new FakeHost('node1'), {
        path: file,
        holder: SECOND,
        waitSeconds: 20,
        onWait: (holder) => {
          told.push(holder);
          resolve();
        },
      });
    });
    await waiting;
    await first.release();
    const { seconds, outcome } = await timed(second as Promise<RunLock>);
    expect(told).toEqual([FIRST]);
    expect(seconds).toBeLessThan(10);
    expect(readFileSync(file, 'utf8')).toBe(`${SECOND}\n`);
    await (outcome as RunLock).release();
  });

  it('gives up at the end of the wait, naming the run that holds the lock', async () => {
    const file = lockFile();
    const first = await takeRunLock(new FakeHost('node1'), { path: file, holder: FIRST, waitSeconds: 0 });
    const { seconds, outcome } = await timed(takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 1 }));
    expect(outcome).toEqual(new HostLockedError('node1', FIRST, 1));
    expect(seconds).toBeGreaterThanOrEqual(0.9);
    expect(readFileSync(file, 'utf8')).toBe(`${FIRST}\n`);
    await first.release();
  });

  it('tries once without waiting, or telling, when the wait is 0', async () => {
    const file = lockFile();
    const first = await takeRunLock(new FakeHost('node1'), { path: file, holder: FIRST, waitSeconds: 0 });
    const told: string[] = [];
    const tried = takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 0, onWait: (h) => told.push(h) });
    await expect(tried).rejects.toEqual(new HostLockedError('node1', FIRST, 0));
    expect(told).toEqual([]);
    await first.release();
  });

  it('is free again once the session that held it is closed', async () => {
    const file = lockFile();
    const conn = new FakeHost('node1');
    await takeRunLock(conn, { path: file, holder: FIRST, waitSeconds: 0 });
    await conn.close();
    const again = await takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 0 });
    await again.release();
  });

  it('is free again once the process holding it on the host is killed', async () => {
    const file = lockFile();
    const conn = new FakeHost('node1');
    await takeRunLock(conn, { path: file, holder: FIRST, waitSeconds: 0 });
    await expect(takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 0 })).rejects.toBeInstanceOf(HostLockedError);
    conn.started[0]?.kill('SIGKILL');
    const again = await takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 5 });
    await again.release();
  });

  it('is free again once the run holding it is killed (SIGKILL): its end of stdin closes with it', async () => {
    const file = lockFile();
    // A stand-in for a meshctl run: a process that started the lock command with its stdin a pipe
    // and holds it open, and is then killed without a chance to let go.
    const holder = spawn(
      process.execPath,
      ['-e', "require('node:child_process').spawn('sh', ['-c', process.env.LOCK_COMMAND], { stdio: ['pipe', 'inherit', 'inherit'] }); setInterval(() => {}, 60_000);"],
      { env: { ...process.env, LOCK_COMMAND: shellJoin(runLockCommand(file, FIRST, 0)) }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: holder.stdout });
    const firstLine = await new Promise<string>((resolve) => lines.once('line', resolve));
    expect(firstLine).toBe('locked');
    await expect(takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 0 })).rejects.toEqual(new HostLockedError('node1', FIRST, 0));
    holder.kill('SIGKILL');
    const again = await takeRunLock(new FakeHost('node1'), { path: file, holder: SECOND, waitSeconds: 5 });
    await again.release();
    lines.close();
  });

  it('fails the host with what the lock command said when it cannot take the lock', async () => {
    const file = path.join(dir, 'no-such-dir', 'meshctl.lock');
    const error = await takeRunLock(new FakeHost('node1'), { path: file, holder: FIRST, waitSeconds: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).message).toMatch(new RegExp(`^node1: run lock: cannot take the run lock ${file}: .*(nonexistent|No such file)`));
  });
});

describe('runLockHolder', () => {
  it('names this process, this machine and the time', () => {
    expect(runLockHolder(new Date('2030-01-02T03:04:05Z'))).toMatch(new RegExp(`^meshctl pid ${process.pid} from \\S+ since 2030-01-02T03:04:05\\.000Z$`));
  });
});
