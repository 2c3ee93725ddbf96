// The machine a benchmark ran on, for its JSON: CPUs, memory, kernel, Node, Docker and the limits.
import { cpus, release, totalmem } from 'node:os';
import { readFile } from 'node:fs/promises';
import { runCommand } from '../sandbox/exec.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  docker: string;
  inotifyMaxUserInstances: number;
}

export async function describeMachine(): Promise<Machine> {
  const docker = await runCommand(['docker', 'version', '--format', 'client {{.Client.Version}}, engine {{.Server.Version}}']).catch(() => undefined);
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'unknown',
    node: process.version,
    docker: docker?.code === 0 ? docker.stdout.trim() : 'unknown',
    inotifyMaxUserInstances: Number((await readFile('/proc/sys/fs/inotify/max_user_instances', 'utf8').catch(() => 'NaN')).trim()),
  };
}
