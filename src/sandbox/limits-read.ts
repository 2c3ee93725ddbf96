// Reads the kernel limits sandbox hosts draw on, and their use, from /proc; raises the low ones
// (root) or refuses before a host starts. Example: `await ensureKernelLimits(47, 50, log)`.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { SandboxError } from '../errors.js';
import { runChecked } from './exec.js';
import { decideLimits, limitSysctls, neededLimits, type LimitReading } from './limits.js';

export async function ensureKernelLimits(newHosts: number, hosts: number, log: (line: string) => void): Promise<void> {
  if (newHosts === 0) return;
  const decision = decideLimits(neededLimits(await readLimits(), newHosts), process.getuid?.() === 0, hosts);
  if (decision.action === 'ok') return;
  if (decision.action === 'refuse') throw new SandboxError(decision.message);
  for (const need of decision.raise) {
    await runChecked(['sysctl', '-w', `${need.sysctl}=${need.needed}`], { env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    log(`raised ${need.sysctl} from ${need.limit} to ${need.needed} (${hosts} hosts; ${need.inUse} in use before them)`);
  }
}

export async function readLimits(): Promise<LimitReading[]> {
  const inotify = await inotifyUse();
  const inUse: Record<string, number> = {
    'fs.inotify.max_user_instances': inotify.instances,
    'fs.inotify.max_user_watches': inotify.watches,
    'kernel.keys.root_maxkeys': rootKeys(await readFile('/proc/key-users', 'utf8').catch(() => '')),
    'kernel.pid_max': threadCount(await readFile('/proc/loadavg', 'utf8')),
  };
  return Promise.all(
    limitSysctls.map(async (sysctl) => ({
      sysctl,
      limit: Number((await readFile(`/proc/sys/${sysctl.replaceAll('.', '/')}`, 'utf8')).trim()),
      inUse: inUse[sysctl] ?? 0,
    })),
  );
}

/** Root's keys from /proc/key-users (`0:  52 51/51 46/1000000 1200/25000000`: qnkeys/maxkeys third). */
export function rootKeys(keyUsers: string): number {
  const line = keyUsers.split('\n').find((l) => l.trim().startsWith('0:'));
  const count = line?.trim().split(/\s+/)[3]?.split('/')[0];
  return count === undefined ? 0 : Number(count);
}

/** The number of threads on the machine: /proc/loadavg's fourth field is running/total. */
export function threadCount(loadavg: string): number {
  const total = loadavg.trim().split(/\s+/)[3]?.split('/')[1];
  return total === undefined ? 0 : Number(total);
}

/** `inotify wd:` lines in an fdinfo file: one per watch. */
export function inotifyWatches(fdinfo: string): number {
  return fdinfo.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
}

/**
 * The inotify instances and watches of root's processes: the hosts' processes are root's on this
 * machine. Without root the other users' fds cannot be read, so the count is low; such a caller
 * cannot raise a limit anyway and is refused only on the hosts' own need.
 */
async function inotifyUse(): Promise<{ instances: number; watches: number }> {
  let instances = 0;
  let watches = 0;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (!/^Uid:\s+0\s/m.test(status)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== 'anon_inode:inotify') continue;
      instances++;
      watches += inotifyWatches(await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => ''));
    }
  }
  return { instances, watches };
}
