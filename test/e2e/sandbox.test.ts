// The sandbox for real: hosts in Docker, reachable by SSH as operator with sudo, rebooted, reused, removed.
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../../src/errors.js';
import { sandboxDown, sandboxHostAction, sandboxUp, type SandboxState } from '../../src/sandbox/index.js';

const run = promisify(execFile);
const log = (line: string): void => console.log(`[sandbox] ${line}`);

async function ssh(state: SandboxState, address: string, command: string): Promise<string> {
  const { stdout } = await run('ssh', [
    '-i', state.sshKey,
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=10',
    `operator@${address}`,
    command,
  ]);
  return stdout;
}

async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args)).stdout.trim();
}

describe('sandbox', () => {
  let dir = '';
  let inventoryPath = '';
  let state: SandboxState;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-sandbox-e2e-'));
    // A directory that does not exist yet: `up` creates it.
    inventoryPath = join(dir, 'lab', 'inventory.yaml');
    state = await sandboxUp({ hosts: 2, backend: 'ovs-gre', suite: 'bookworm', inventoryPath, sets: ['mesh.mtu=1400'], log });
  });

  afterAll(async () => {
    if (inventoryPath !== '') await sandboxDown({ inventoryPath, log });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('runs both hosts, labelled with the sandbox', async () => {
    const names = await docker('ps', '--filter', `label=meshctl.sandbox=${state.name}`, '--format', '{{.Names}}');
    expect(names.split('\n').sort()).toEqual(state.hosts.map((h) => h.container).sort());
  });

  it('lets operator in with the sandbox key and become root without a password', async () => {
    for (const host of state.hosts) {
      expect(await ssh(state, host.address, 'sudo -n true && hostname && sudo -n id -u')).toBe(`${host.name}\n0\n`);
    }
  });

  it('puts each host on the underlay as eth1', async () => {
    for (const host of state.hosts) {
      expect(await ssh(state, host.address, 'ip -4 -o addr show dev eth1')).toContain(` ${host.underlayAddress}/24 `);
      expect(await ssh(state, host.address, 'ip -4 -o addr show dev eth0')).toContain(` ${host.address}/24 `);
    }
    const [first, second] = state.hosts;
    expect(await ssh(state, first?.address ?? '', `ping -c 1 -W 2 ${second?.underlayAddress ?? ''}`)).toContain('1 received');
  });

  it('gives every host its own SSH host key', async () => {
    const keys = await Promise.all(
      state.hosts.map(async (h) => (await run('ssh-keyscan', ['-t', 'ed25519', h.address])).stdout.split(' ')[2]),
    );
    expect(keys.every((k) => k !== undefined && k.length > 40)).toBe(true);
    expect(new Set(keys).size).toBe(state.hosts.length);
  });

  it('writes the inventory with the --set values and an empty known_hosts', async () => {
    const inventory = parse(await readFile(inventoryPath, 'utf8')) as {
      ssh: { user: string; key: string; known_hosts: string };
      become: boolean;
      hosts: { name: string; address: string; underlay_address: string }[];
      mesh: { mtu: number; backend: string };
    };
    expect(inventory.ssh.user).toBe('operator');
    expect(inventory.become).toBe(true);
    expect(join(dir, 'lab', inventory.ssh.key)).toBe(state.sshKey);
    expect(inventory.hosts.map((h) => [h.name, h.address, h.underlay_address])).toEqual(
      state.hosts.map((h) => [h.name, h.address, h.underlayAddress]),
    );
    expect(inventory.mesh).toMatchObject({ backend: 'ovs-gre', mtu: 1400 });
    expect(await readFile(join(dir, 'lab', inventory.ssh.known_hosts), 'utf8')).toBe('');
    expect(await readFile(join(dir, 'lab', '.meshctl-sandbox', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('reboots a host: it comes back with sshd up and both networks in place', async () => {
    const host = state.hosts[1];
    if (host === undefined) throw new Error('no second host');
    const bootedBefore = await docker('inspect', '--format', '{{.State.StartedAt}}', host.container);
    await sandboxHostAction({ inventoryPath, action: 'restart', host: host.name, log });
    expect(await docker('inspect', '--format', '{{.State.StartedAt}}', host.container)).not.toBe(bootedBefore);
    expect(await ssh(state, host.address, 'sudo -n true && ip -4 -o addr show dev eth1')).toContain(host.underlayAddress);
  });

  it('starts a stopped host again on a second up, keeping the others', async () => {
    const ids = await docker('ps', '-aq', '--no-trunc', '--filter', `label=meshctl.sandbox=${state.name}`);
    await sandboxHostAction({ inventoryPath, action: 'stop', host: 'node1', log });
    const again = await sandboxUp({ hosts: 2, backend: 'ovs-gre', suite: 'bookworm', inventoryPath, sets: [], log });
    expect(again.networks).toEqual(state.networks);
    expect(await docker('ps', '-aq', '--no-trunc', '--filter', `label=meshctl.sandbox=${state.name}`)).toBe(ids);
    expect(await ssh(state, state.hosts[0]?.address ?? '', 'sudo -n true && echo ok')).toBe('ok\n');
  });

  it('refuses to reuse the sandbox for another host count', async () => {
    await expect(sandboxUp({ hosts: 3, backend: 'ovs-gre', suite: 'bookworm', inventoryPath, sets: [], log })).rejects.toThrow(UsageError);
    await expect(sandboxUp({ hosts: 2, backend: 'nope', suite: 'bookworm', inventoryPath, sets: [], log })).rejects.toThrow(/ovs-gre/);
  });

  it('removes containers, networks and the state directory, and can do it twice', async () => {
    await sandboxDown({ inventoryPath, log });
    await sandboxDown({ inventoryPath, log });
    expect(await docker('ps', '-aq', '--filter', `label=meshctl.sandbox=${state.name}`)).toBe('');
    expect(await docker('network', 'ls', '-q', '--filter', `label=meshctl.sandbox=${state.name}`)).toBe('');
    await expect(access(join(dir, 'lab', '.meshctl-sandbox'))).rejects.toThrow();
  });
});
