// The OVS GRE mesh end to end on three sandbox hosts, through the CLI a user runs:
// bad input and unreachable hosts touch nothing; up → verify → up again changes nothing →
// reboot → verify → down → hosts clean and verify fails.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, meshctl } from './cli.js';

interface RunJson {
  ok: boolean;
  hosts: Record<string, { ok: number; changed: number; failed: number; unreachable: boolean }>;
}
interface MatrixJson {
  ok: boolean;
  pairs: { from: string; to: string; ok: boolean; rtt_ms: number | null; tcp_ok: boolean; mtu_ok: boolean }[];
}
interface ExecJson {
  ok: boolean;
  hosts: Record<string, { stdout: string; stderr: string; code: number }>;
}

const HOSTS = ['node1', 'node2', 'node3'];

describe('ovs-gre mesh on 3 sandbox hosts', () => {
  let dir = '';
  let inventory = '';

  const onHosts = async (command: string, limit?: string): Promise<ExecJson> => {
    const args = ['exec', '-i', inventory, '--become', '--json', ...(limit ? ['--limit', limit] : []), '--', command];
    return json<ExecJson>(await meshctl(args));
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-gre-'));
    inventory = path.join(dir, 'inventory.yaml');
    const up = await meshctl(['sandbox', 'up', '--hosts', '3', '--backend', 'ovs-gre', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad inventory with file:line:column and exit 2, before any connection', async () => {
    const bad = path.join(dir, 'bad.yaml');
    const text = await readFile(inventory, 'utf8');
    await writeFile(bad, text.replace('slice_prefix: 24', 'slice_prefix: 31').replace('spanning_tree: rstp', 'spanning_tree: yes-please'));
    const result = await meshctl(['up', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+ mesh\\.slice_prefix: `));
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+ mesh\\.spanning_tree: `));
  });

  it('stops with exit 3 and touches no host when one host is unreachable', async () => {
    const partial = path.join(dir, 'one-unreachable.yaml');
    const text = await readFile(inventory, 'utf8');
    // .99 on the sandbox's own management network: nobody answers there.
    const unreachable = text.replace(/(name: node3\n\s+address: \d+\.\d+\.\d+)\.\d+/, '$1.99');
    await writeFile(partial, unreachable.replace(/^ssh:\n/m, 'ssh:\n  connect_timeout: 3\n'));
    const result = await meshctl(['up', partial, '--json']);
    expect(result.code).toBe(3);
    const body = json<RunJson>(result);
    expect(body.ok).toBe(false);
    expect(body.hosts.node3?.unreachable).toBe(true);
    expect(body.hosts.node1).toEqual({ ok: 0, changed: 0, failed: 0, unreachable: false });
    const untouched = await onHosts('command -v ovs-vsctl || echo no-ovs', 'node1');
    expect(untouched.hosts.node1?.stdout.trim()).toBe('no-ovs');
  });

  it('refuses a wrong key with exit 3, naming the host', async () => {
    const wrongKey = path.join(dir, 'wrong-key.yaml');
    const text = await readFile(inventory, 'utf8');
    const keyFile = path.join(dir, 'not-the-key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    await writeFile(wrongKey, text.replace(/key: .*/, `key: ${keyFile}`));
    const result = await meshctl(['exec', '-i', wrongKey, '--', 'true']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/node1/);
    expect(result.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('brings the mesh up on every host', async () => {
    const result = await meshctl(['up', inventory, '--json']);
    const body = json<RunJson>(result);
    expect(body.ok, result.stderr).toBe(true);
    expect(result.code).toBe(0);
    for (const host of HOSTS) expect(body.hosts[host]).toMatchObject({ failed: 0, unreachable: false, changed: expect.any(Number) });
    expect(body.hosts.node1!.changed).toBeGreaterThan(5);
  });

  it('proves every ordered pair: ICMP, TCP and full-MTU probes', async () => {
    const result = await meshctl(['verify', 'ping-matrix', '-i', inventory, '--json']);
    const body = json<MatrixJson>(result);
    expect(body.pairs).toHaveLength(6);
    for (const pair of body.pairs) {
      expect(pair, result.stderr).toMatchObject({ ok: true, tcp_ok: true, mtu_ok: true });
      expect(pair.rtt_ms).toBeGreaterThan(0);
    }
    expect(body.ok).toBe(true);
    expect(result.code).toBe(0);
  });

  it('changes nothing on a second up, and says so', async () => {
    const result = await meshctl(['up', inventory]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nothing changed');
    const body = json<RunJson>(await meshctl(['up', inventory, '--json']));
    for (const host of HOSTS) expect(body.hosts[host]?.changed).toBe(0);
  });

  it('shows the plan in check mode without changing anything', async () => {
    await onHosts('ip link set veth-mesh nomaster', 'node2');
    const check = json<RunJson>(await meshctl(['up', inventory, '--check', '--json']));
    expect(check.hosts.node2?.changed).toBe(1);
    const still = await onHosts('ip -o link show veth-mesh', 'node2');
    expect(still.hosts.node2?.stdout).not.toContain('master docker0');
    const repaired = json<RunJson>(await meshctl(['up', inventory, '--json']));
    expect(repaired.hosts.node2?.changed).toBe(1);
  });

  it('survives a host reboot', async () => {
    const restart = await meshctl(['sandbox', 'restart', 'node2', '--inventory', inventory]);
    expect(restart.code, restart.stderr).toBe(0);
    const result = await meshctl(['verify', 'ping-matrix', '-i', inventory, '--json']);
    const body = json<MatrixJson>(result);
    expect(body.ok, result.stdout + result.stderr).toBe(true);
    const again = json<RunJson>(await meshctl(['up', inventory, '--json']));
    expect(again.hosts.node2?.changed).toBe(0);
  });

  it('takes everything down again, and verify then fails', async () => {
    const down = await meshctl(['down', '-i', inventory, '--json']);
    expect(json<RunJson>(down).ok, down.stderr).toBe(true);
    const state = await onHosts(
      [
        'ovs-vsctl list-br | wc -l',
        'test -e /etc/systemd/system/meshctl-mesh-links.service && echo unit || echo no-unit',
        'test -e /etc/docker/daemon.json && echo daemon-json || echo no-daemon-json',
        'test -e /etc/sysctl.d/60-meshctl.conf && echo sysctl || echo no-sysctl',
        "ip -4 -o addr show dev eth1 | grep -c inet",
        'ip link show veth-mesh >/dev/null 2>&1 && echo veth || echo no-veth',
      ].join('; '),
    );
    for (const host of HOSTS) {
      expect(state.hosts[host]?.stdout.trim().split('\n')).toEqual(['0', 'no-unit', 'no-daemon-json', 'no-sysctl', '1', 'no-veth']);
    }
    const verify = await meshctl(['verify', 'ping-matrix', '-i', inventory, '--json', '--timeout', '10']);
    expect(verify.code).toBe(1);
    expect(json<MatrixJson>(verify).ok).toBe(false);
    const again = json<RunJson>(await meshctl(['down', '-i', inventory, '--json']));
    for (const host of HOSTS) expect(again.hosts[host]?.changed).toBe(0);
  });

  it('removes the packages too with --purge', async () => {
    const purge = await meshctl(['down', '-i', inventory, '--purge', '--json']);
    const body = json<RunJson>(purge);
    expect(body.ok, purge.stderr).toBe(true);
    for (const host of HOSTS) expect(body.hosts[host]?.changed).toBe(1);
    const left = await onHosts("dpkg-query -W -f='${db:Status-Status} ' openvswitch-switch docker.io 2>/dev/null; echo");
    for (const host of HOSTS) expect(left.hosts[host]?.stdout).not.toMatch(/(^|\s)installed(\s|$)/);
  });
});
