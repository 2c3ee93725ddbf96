// The machine-wide lock file of the sandbox: one holder at a time, a dead holder's lock taken over,
// a live holder waited for until the timeout.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxError } from '../../src/errors.js';
import { withFileLock } from '../../src/file-lock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'meshctl-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid no process has: above Linux's largest pid_max. */
const DEAD_PID = 4_194_305;

describe('withFileLock', () => {
  it('lets one holder in at a time, and frees the lock after', async () => {
    const lock = path.join(dir, 'one-at-a-time.lock');
    const events: string[] = [];
    const hold = (name: string) =>
      withFileLock(lock, 5_000, () => events.push(`${name} waits`), async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        events.push(`${name} out`);
        return name;
      });
    await expect(Promise.all([hold('a'), hold('b')])).resolves.toEqual(['a', 'b']);
    // Either may come first on a busy machine; what matters is that neither is in while the other is.
    const held = events.filter((e) => !e.endsWith('waits'));
    expect([['a in', 'a out', 'b in', 'b out'], ['b in', 'b out', 'a in', 'a out']]).toContainEqual(held);
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over the lock of a process that is gone, without waiting for it", async () => {
    const lock = path.join(dir, 'stale.lock');
    writeFileSync(lock, String(DEAD_PID));
    const waited: number[] = [];
    await expect(withFileLock(lock, 2_000, (pid) => waited.push(pid), async () => 'mine')).resolves.toBe('mine');
    expect(waited).toEqual([]);
  });

  it('waits for a live holder, says so once, and gives up after the timeout', async () => {
    const lock = path.join(dir, 'held.lock');
    writeFileSync(lock, String(process.pid));
    const waited: number[] = [];
    const started = Date.now();
    const attempt = withFileLock(lock, 300, (pid) => waited.push(pid), async () => 'never', (message) => new SandboxError(message));
    await expect(attempt).rejects.toThrow(SandboxError);
    await expect(attempt).rejects.toThrow(`held by process ${process.pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(waited).toEqual([process.pid]);
    expect(existsSync(lock)).toBe(true);
  });
});
