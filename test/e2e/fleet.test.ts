// A real fleet's ways in, on sandbox hosts: a host reached through a jump host, an Ansible
// inventory used as it is, and strict host keys.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { json, meshctl } from './cli.js';

interface ExecJson {
  ok: boolean;
  hosts: Record<string, { stdout: string; stderr: string; code: number }>;
}

interface Generated {
  ssh: { user: string; key: string; known_hosts: string };
  hosts: { name: string; address: string; underlay_address: string }[];
  mesh: Record<string, unknown>;
}

describe.runIf(process.env.MESHCTL_E2E_BACKENDS === undefined || process.env.MESHCTL_E2E_BACKENDS.split(',').includes('fleet'))('a real fleet\'s ways in', () => {
  let dir = '';
  let inventory = '';
  let generated: Generated;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-e2e-fleet-'));
    inventory = path.join(dir, 'inventory.yaml');
    const up = await meshctl(['sandbox', 'up', '--hosts', '2', '--backend', 'ovs-gre', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
    generated = parse(await readFile(inventory, 'utf8')) as Generated;
  });
  afterAll(async () => {
    if (inventory !== '') await meshctl(['sandbox', 'down', '--inventory', inventory]);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('reaches a host through a jump host: its session arrives from the jump host', async () => {
    const [node1, node2] = generated.hosts;
    const jumped = path.join(dir, 'jumped.yaml');
    const text = await readFile(inventory, 'utf8');
    await writeFile(jumped, text.replace(/(  - name: node2\n)/, `$1    ssh:\n      bastion:\n        address: ${node1?.address ?? ''}\n`));
    const result = json<ExecJson>(await meshctl(['exec', '-i', jumped, '--json', '--lock', '--', 'echo $SSH_CONNECTION']));
    expect(result.ok, JSON.stringify(result)).toBe(true);
    // SSH_CONNECTION = client address, client port, server address, server port.
    expect(result.hosts.node2?.stdout.split(' ')[0]).toBe(node1?.address);
    expect(result.hosts.node2?.stdout.split(' ')[2]).toBe(node2?.address);
    expect(result.hosts.node1?.stdout.split(' ')[0]).not.toBe(node1?.address);
  });

  it('takes an Ansible INI inventory as it is, the mesh settings in meshctl.yaml beside it', async () => {
    const ansible = path.join(dir, 'ansible');
    await rm(ansible, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(ansible, { recursive: true }));
    const key = path.resolve(dir, generated.ssh.key);
    const lines = generated.hosts.map(
      (h) => `${h.name} ansible_host=${h.address} ansible_user=${generated.ssh.user} ansible_ssh_private_key_file=${key} ansible_become=true meshctl_underlay_address=${h.underlay_address}`,
    );
    await writeFile(path.join(ansible, 'hosts.ini'), ['[mesh]', ...lines, ''].join('\n'));
    const settings = { ssh: { known_hosts: path.resolve(dir, generated.ssh.known_hosts), config: false }, mesh: generated.mesh };
    await writeFile(path.join(ansible, 'meshctl.yaml'), JSON.stringify(settings, null, 2));
    const ran = json<ExecJson>(await meshctl(['exec', '-i', path.join(ansible, 'hosts.ini'), '--become', '--json', '--', 'hostname; id -u']));
    expect(ran.ok, JSON.stringify(ran)).toBe(true);
    for (const host of generated.hosts) expect(ran.hosts[host.name]?.stdout.trim().split('\n'), host.name).toEqual([host.name, '0']);
    // The playbook prepares against it too: plan reads every host (fresh hosts: their tasks would change).
    const plan = await meshctl(['plan', '-i', path.join(ansible, 'hosts.ini')]);
    expect(plan.stdout).toMatch(/node1[\s\S]*node2/);
    expect(plan.stderr).not.toMatch(/internal error/);
    const bad = path.join(ansible, 'bad.ini');
    await writeFile(bad, ['[mesh]', `${lines[0] ?? ''} ansible_port=ssh`, ''].join('\n'));
    await writeFile(path.join(ansible, 'meshctl.yaml'), JSON.stringify(settings, null, 2));
    const refused = await meshctl(['exec', '-i', bad, '--', 'true']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad\.ini:2:\d+ .*ansible_port/);
  });

  it('refuses a host whose key is not known yet under strict host keys, exit 3', async () => {
    const strict = path.join(dir, 'strict.yaml');
    const empty = path.join(dir, 'empty_known_hosts');
    await writeFile(empty, '');
    const text = await readFile(inventory, 'utf8');
    await writeFile(strict, text.replace(/known_hosts: .*/, `known_hosts: ${empty}\n  host_key_checking: strict`));
    const result = await meshctl(['exec', '-i', strict, '--', 'true']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/node1/);
    expect(await readFile(empty, 'utf8')).toBe('');
  });
});
