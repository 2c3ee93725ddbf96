// Installs Debian packages on this machine, e.g. `await aptInstall(['debootstrap'], log)`.
import { runChecked, runCommand } from './exec.js';

const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

export async function aptInstall(packages: readonly string[], log: (line: string) => void): Promise<void> {
  log(`installing ${packages.join(' ')} with apt-get`);
  await runChecked(['apt-get', 'update'], { timeoutMs: 10 * 60_000, env: aptEnv });
  await runChecked(['apt-get', 'install', '-y', ...packages], { timeoutMs: 15 * 60_000, env: aptEnv });
}

/** True when `program` is on PATH, including the sbin directories a non-login root shell may lack. */
export async function hasProgram(program: string): Promise<boolean> {
  const path = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;
  const result = await runCommand(['sh', '-c', 'command -v "$1"', 'sh', program], {
    env: { ...process.env, PATH: path },
  });
  return result.code === 0;
}
