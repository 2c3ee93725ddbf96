// Makes sure a Docker engine answers on this machine: installs docker.io and starts dockerd if needed.
// Example: `await ensureEngine(console.log)`.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { SandboxError } from '../errors.js';
import { retryWithBackoff } from '../retry.js';
import { aptInstall, hasProgram } from './apt.js';
import { runCommand } from './exec.js';

const dockerdLog = '/var/log/meshctl-dockerd.log';
const startTimeoutMs = 60_000;

export async function ensureEngine(log: (line: string) => void): Promise<void> {
  if (await engineAnswers()) return;
  if (process.getuid?.() !== 0) {
    throw new SandboxError('no Docker engine answers and only root can start one: run as root, or start dockerd yourself');
  }
  if (!(await hasProgram('dockerd'))) await aptInstall(['docker.io'], log);
  log(`starting dockerd (log: ${dockerdLog})`);
  startDockerd();
  const answers = async (): Promise<void> => {
    if (!(await engineAnswers())) throw new Error('dockerd does not answer yet');
  };
  await retryWithBackoff(answers, { timeoutMs: startTimeoutMs, maxDelayMs: 2_000 }).catch(() => {
    throw new SandboxError(`dockerd did not answer \`docker info\` within ${startTimeoutMs / 1000}s: see ${dockerdLog}`);
  });
  log('Docker engine is up');
}

async function engineAnswers(): Promise<boolean> {
  const result = await runCommand(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch(
    () => undefined,
  );
  return result?.code === 0 && result.stdout.trim() !== '';
}

/** This machine has no systemd as PID 1, so dockerd runs in its own session and outlives us. */
function startDockerd(): void {
  const fd = openSync(dockerdLog, 'a');
  const path = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, PATH: path } });
  child.on('error', () => undefined);
  child.unref();
  closeSync(fd);
}
