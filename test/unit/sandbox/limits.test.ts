// The kernel limits N sandbox hosts need, and what `sandbox up` does about a low one: nothing,
// raise it (root), or refuse before any host starts with the sysctl, the value and the command.
import { describe, expect, it } from 'vitest';
import { decideLimits, headroom, limitSysctls, neededLimits, perHostUse, sysctlCommand, type LimitReading } from '../../../src/sandbox/limits.js';
import { inotifyWatches, rootKeys, threadCount } from '../../../src/sandbox/limits-read.js';

/** This machine as found: inotify instances 128, the rest generous; `inUse` of each as given. */
function machine(inUse: Partial<Record<string, number>> = {}, limits: Partial<Record<string, number>> = {}): LimitReading[] {
  const found: Record<string, number> = {
    'fs.inotify.max_user_instances': 128,
    'fs.inotify.max_user_watches': 192_536,
    'kernel.keys.root_maxkeys': 1_000_000,
    'kernel.pid_max': 32_768,
  };
  return limitSysctls.map((sysctl) => ({ sysctl, limit: limits[sysctl] ?? found[sysctl] ?? 0, inUse: inUse[sysctl] ?? 0 }));
}

const instances = 'fs.inotify.max_user_instances';

describe('neededLimits', () => {
  it('adds each new host\'s budget and the headroom to what is in use', () => {
    const need = neededLimits(machine({ [instances]: 40 }), 50).find((n) => n.sysctl === instances);
    expect(need?.needed).toBe(40 + 50 * (perHostUse[instances] ?? NaN) + (headroom[instances] ?? NaN));
  });

  it('grows by one host\'s budget per host, for every limit', () => {
    const three = neededLimits(machine(), 3);
    const four = neededLimits(machine(), 4);
    for (const [i, need] of four.entries()) expect(need.needed - (three[i]?.needed ?? NaN)).toBe(perHostUse[need.sysctl]);
  });

  it('budgets at least what a fresh host was seen to hold (8 inotify instances, 31 watches, 71 pids)', () => {
    expect(perHostUse[instances]).toBeGreaterThanOrEqual(8);
    expect(perHostUse['fs.inotify.max_user_watches']).toBeGreaterThanOrEqual(31);
    expect(perHostUse['kernel.pid_max']).toBeGreaterThanOrEqual(71);
  });
});

describe('decideLimits', () => {
  it('does nothing for 3 hosts on this machine as found', () => {
    expect(decideLimits(neededLimits(machine({ [instances]: 24 }), 3), false, 3)).toEqual({ action: 'ok' });
  });

  it('finds 128 inotify instances too few for 50 hosts, and only that limit', () => {
    const decision = decideLimits(neededLimits(machine({ [instances]: 24 }), 50), true, 50);
    expect(decision.action).toBe('raise');
    if (decision.action !== 'raise') return;
    expect(decision.raise.map((need) => need.sysctl)).toEqual([instances]);
    expect(decision.raise[0]?.needed).toBeGreaterThan(128);
  });

  it('counts what other sandboxes already use: as many hosts as fit in 128 alone do not fit beside one more', () => {
    const fitting = Math.floor((128 - (headroom[instances] ?? NaN)) / (perHostUse[instances] ?? NaN));
    expect(fitting).toBeGreaterThan(1);
    expect(decideLimits(neededLimits(machine({ [instances]: 0 }), fitting), false, fitting).action).toBe('ok');
    const busy = machine({ [instances]: perHostUse[instances] ?? NaN });
    expect(decideLimits(neededLimits(busy, fitting), false, fitting).action).toBe('refuse');
  });

  it('a limit exactly at its need is enough', () => {
    const [need] = neededLimits(machine(), 50).filter((n) => n.sysctl === instances);
    const atNeed = neededLimits(machine({}, { [instances]: need?.needed ?? NaN }), 50);
    expect(decideLimits(atNeed, false, 50)).toEqual({ action: 'ok' });
  });

  it('refuses without root, naming each low sysctl, its value, the need and the command that raises it', () => {
    const readings = machine({ [instances]: 24, 'kernel.pid_max': 30_000 });
    const decision = decideLimits(neededLimits(readings, 50), false, 50);
    expect(decision.action).toBe('refuse');
    if (decision.action !== 'refuse') return;
    expect(decision.low.map((need) => need.sysctl)).toEqual([instances, 'kernel.pid_max']);
    for (const need of decision.low) expect(decision.message).toContain(`${need.sysctl} is ${need.limit}, 50 host(s) need ${need.needed}`);
    expect(decision.message).toContain(sysctlCommand(decision.low));
  });
});

describe('sysctlCommand', () => {
  it('sets every limit given to its need in one sysctl -w', () => {
    const low = neededLimits(machine(), 50).slice(0, 2);
    expect(sysctlCommand(low).split(' ')).toEqual(['sysctl', '-w', ...low.map((n) => `${n.sysctl}=${n.needed}`)]);
  });
});

describe('what /proc says', () => {
  it('reads root\'s key count from /proc/key-users, 0 without a line for root', () => {
    const keyUsers = '    0:    52 51/51 46/1000000 1200/25000000\n  102:     1 1/1 1/200 9/20000\n 1000:     5 5/5 5/200 55/20000\n';
    expect(rootKeys(keyUsers)).toBe(46);
    expect(rootKeys('  102:     1 1/1 1/200 9/20000\n')).toBe(0);
  });

  it('reads the thread count from /proc/loadavg', () => {
    expect(threadCount('0.52 0.58 0.59 2/417 12345\n')).toBe(417);
  });

  it('counts one watch per inotify wd line of an fdinfo', () => {
    const fdinfo = [
      'pos:\t0',
      'flags:\t02004000',
      'mnt_id:\t15',
      'ino:\t1057',
      'inotify wd:3 ino:1a2 sdev:800001 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a2010000aee3f1a6',
      'inotify wd:2 ino:1 sdev:35 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:01000000',
    ].join('\n');
    expect(inotifyWatches(fdinfo)).toBe(2);
    expect(inotifyWatches('pos:\t0\nflags:\t02004000\n')).toBe(0);
  });
});
