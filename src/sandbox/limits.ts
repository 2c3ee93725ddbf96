// What N more sandbox hosts need of this machine's kernel limits, and what to do when a limit is
// too low: raise it (root) or refuse before any host starts. Pure; limits-read.ts reads /proc.
// Example: `decideLimits(neededLimits(readings, 50), true)` → { action: 'raise', raise: [...] }.

/** A per-user or machine-wide limit that every systemd host container draws on. */
export interface LimitReading {
  /** The sysctl's dotted name, e.g. `fs.inotify.max_user_instances`. */
  sysctl: string;
  /** Its value now. */
  limit: number;
  /** What is used of it now (all hosts already running, other sandboxes, the rest of the machine). */
  inUse: number;
}

export interface LimitNeed extends LimitReading {
  /** inUse + what the new hosts take + headroom. */
  needed: number;
}

/**
 * What one host takes, budgeted above what was measured in /proc on fresh bookworm hosts of this
 * sandbox (8 inotify instances, 30-31 watches, 36-71 pids with Docker installing): dockerd,
 * containerd and ovs-vswitchd add their own once `up` installed them, and a host that runs out
 * boots no further (exit 255) long after `sandbox up` said it was ready.
 */
export const perHostUse: Readonly<Record<string, number>> = {
  // systemd, journald, logind, dbus and friends each hold an inotify instance; the limit is per
  // user, and every host's root is the machine's root (no user namespace).
  'fs.inotify.max_user_instances': 10,
  'fs.inotify.max_user_watches': 512,
  // runc gives each container a session keyring; root's quota is kernel.keys.root_maxkeys.
  'kernel.keys.root_maxkeys': 8,
  // Threads count: dockerd and containerd run dozens, the probe containers of verify a few more.
  'kernel.pid_max': 300,
};

/** Kept free beyond the hosts' budget: the engine, the controller and a shell for the operator. */
export const headroom: Readonly<Record<string, number>> = {
  'fs.inotify.max_user_instances': 16,
  'fs.inotify.max_user_watches': 8192,
  'kernel.keys.root_maxkeys': 100,
  'kernel.pid_max': 2048,
};

export const limitSysctls = Object.keys(perHostUse);

/** Each limit's need for `newHosts` more hosts; a sysctl without a budget is needed as it is used. */
export function neededLimits(readings: readonly LimitReading[], newHosts: number): LimitNeed[] {
  return readings.map((reading) => ({
    ...reading,
    needed: reading.inUse + newHosts * (perHostUse[reading.sysctl] ?? 0) + (headroom[reading.sysctl] ?? 0),
  }));
}

export type LimitDecision =
  | { action: 'ok' }
  | { action: 'raise'; raise: LimitNeed[] }
  | { action: 'refuse'; low: LimitNeed[]; message: string };

/** Nothing to do when every limit covers its need; else root raises the low ones, anyone else is told how. */
export function decideLimits(needs: readonly LimitNeed[], isRoot: boolean, hosts: number): LimitDecision {
  const low = needs.filter((need) => need.limit < need.needed);
  if (low.length === 0) return { action: 'ok' };
  if (isRoot) return { action: 'raise', raise: low };
  const which = low.map((need) => `${need.sysctl} is ${need.limit}, ${hosts} host(s) need ${need.needed}`).join('; ');
  return {
    action: 'refuse',
    low,
    message: `this machine's kernel limits are too low for the sandbox (${which}): run \`${sysctlCommand(low)}\` as root, or \`sandbox up\` as root to have them raised`,
  };
}

/** `sysctl -w a=1 b=2`: the command that raises the given limits to what they need. */
export function sysctlCommand(needs: readonly LimitNeed[]): string {
  return ['sysctl', '-w', ...needs.map((need) => `${need.sysctl}=${need.needed}`)].join(' ');
}
