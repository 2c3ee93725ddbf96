// The floor of a first `up`: the packages module's own steps from `plan --json`, per host, as one script.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { installFloor, type PlanJson } from '../../../src/bench/floor.js';
import { packages } from '../../../src/modules/packages.js';

/** The steps the packages module plans for a fresh Debian host, as `plan --json` would show them. */
function freshHostSteps(present: string[]): { run: string }[] {
  const params = packages.params.parse({ present, optional: ['docker-cli'] });
  const decision = packages.plan(params, { manager: 'apt', installed: [], releases: { installed: {}, offered: {} }, known: [] });
  if (!decision.changed) throw new Error(`expected a change, got: ${decision.reason}`);
  return decision.steps.flatMap((step) => (step.kind === 'run' ? [{ run: step.script }] : []));
}

const plan: PlanJson = {
  hosts: {
    node1: {
      tasks: [
        { task: 'Install packages', steps: freshHostSteps(['openvswitch-switch', 'docker.io', 'iptables']) },
        { task: 'Forward IPv4 between interfaces', steps: [{ run: 'sysctl -w net.ipv4.ip_forward=1' }, { put: '/etc/sysctl.d/60-meshctl.conf' }] },
        { task: 'Open vSwitch running' },
      ],
    },
    node2: { tasks: [{ task: 'Install packages', steps: freshHostSteps(['docker.io', 'iptables']) }, { task: "etcd's client", steps: freshHostSteps(['etcd-client']) }] },
  },
};

describe('installFloor', () => {
  const floor = installFloor(plan);

  it('names every package the installs name, for the baked image, but the optional ones a release may not have', () => {
    expect(floor.packages).toEqual(['docker.io', 'etcd-client', 'iptables', 'openvswitch-switch']);
    expect(floor.script).toContain("apt-cache show --no-all-versions docker-cli");
  });

  it('runs exactly the planned apt steps, each host its own, and nothing else a task would do', () => {
    for (const step of freshHostSteps(['openvswitch-switch', 'docker.io', 'iptables'])) expect(floor.script).toContain(step.run);
    expect(floor.script).not.toContain('sysctl');
    const node2 = floor.script.split('\n').find((line) => line.trim().startsWith('node2)')) ?? '';
    expect(node2).toContain('etcd-client');
    expect(node2).not.toContain('openvswitch-switch');
  });

  it('is a script /bin/sh can parse, failing on a host with no branch', () => {
    expect(spawnSync('/bin/sh', ['-n', '-c', floor.script]).status).toBe(0);
    const elsewhere = spawnSync('/bin/sh', ['-c', floor.script.replace('"$(hostname)"', 'not-a-host')], { encoding: 'utf8' });
    expect(elsewhere.status).toBe(1);
  });

  it('has nothing to install when the plan shows every package in place', () => {
    expect(installFloor({ hosts: { node1: { tasks: [{ task: 'Install packages' }] } } }).packages).toEqual([]);
  });
});
