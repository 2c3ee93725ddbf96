// Ctrl-C during `up` on sandbox hosts: the run stops cleanly (exit 130, the recap names the
// hosts left unfinished, the state file says interrupted), leaves no run lock behind, and the
// next `up` takes every host at once and converges.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, json, meshctl } from './cli.js';
import type { RunJson } from './lifecycle.js';

/** How long into the run the Ctrl-C comes once the first task line is out. */
const INTERRUPT_AFTER_MS = 2_000;

describe.runIf(process.env.MESHCTL_E2E_BACKENDS === undefined || process.env.MESHCTL_E2E_BACKENDS.split(',').includes('interrupt'))('Ctrl-C during up', () => {
  let dir = '';
  let inventory = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-interrupt-'));
    inventory = path.join(dir, 'inventory.yaml');
    const up = await meshctl(['sandbox', 'up', '--hosts', '2', '--backend', 'ovs-gre', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('exits 130 with the unfinished hosts named, no lock left, and the next up converges', async () => {
    // Plain progress (CI): a line per finished task, so the test knows the run is under way.
    const child = spawn(process.execPath, [BIN, 'up', inventory], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!sent && /node\d: .+: (ok|changed): /.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), INTERRUPT_AFTER_MS);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });

    const output = `${stdout}\n${stderr}`;
    expect(sent, output).toBe(true);
    expect(exited, output).toEqual({ code: 130, signal: null });
    expect(stderr).toContain('interrupted: finishing the running steps (Ctrl-C again to abort now)');
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(stdout).toContain('PLAY RECAP');
    expect(stdout).toMatch(/node\d: interrupted before task '/);
    expect(stdout).toMatch(/Result: INTERRUPTED: /);
    const state = JSON.parse(await readFile(path.join(dir, 'inventory.state.json'), 'utf8')) as { last_runs: Record<string, { outcome: string }> };
    expect(Object.values(state.last_runs).map((run) => run.outcome)).toContain('interrupted');

    // No lock is left: with --lock-timeout 0 a held host would fail at once instead of waiting.
    const again = await meshctl(['up', inventory, '--json', '--lock-timeout', '0']);
    expect(json<RunJson>(again).ok, again.stdout + again.stderr).toBe(true);
    expect(again.code).toBe(0);
    const settled = json<RunJson>(await meshctl(['up', inventory, '--json']));
    expect(Object.values(settled.hosts).map((host) => host.changed)).toEqual([0, 0]);
  });
});
