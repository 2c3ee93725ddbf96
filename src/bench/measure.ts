// Runs the built meshctl CLI as a child and measures it: wall time and its peak memory (VmHWM,
// read from /proc/PID/status while it runs: the kernel's own high-water mark, so a poll misses at
// most the growth of its last interval). Example: `await timed(['exec', '-i', inv, '--', 'true'])`.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** bin/meshctl.js of this checkout: the CLI as a user runs it. */
export const meshctlBin = fileURLToPath(new URL('../../bin/meshctl.js', import.meta.url));

export interface Timed {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  peakMiB: number | undefined;
}

const pollMs = 50;

export async function timed(args: readonly string[]): Promise<Timed> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [meshctlBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let peakKiB: number | undefined;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    readFile(`/proc/${child.pid}/status`, 'utf8')
      .then((status) => {
        const kib = vmHwmKiB(status);
        if (kib !== undefined) peakKiB = Math.max(peakKiB ?? 0, kib);
      })
      .catch(() => undefined);
  }, pollMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exit) => resolve(exit));
  }).finally(() => clearInterval(poll));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { code, stdout, stderr, seconds, peakMiB: peakKiB === undefined ? undefined : peakKiB / 1024 };
}

/** `VmHWM:   123456 kB` from /proc/PID/status, in KiB; undefined once the process is a zombie. */
export function vmHwmKiB(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
