// loadInventory on Ansible inventories: INI and YAML, group_vars/ and host_vars/, the mesh
// settings in meshctl.yaml or group_vars/all, and problems named at the Ansible file's line.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../../src/errors.js';
import { loadInventory } from '../../../../src/inventory/load.js';
import { useIsolatedHome } from '../../isolated-home.js';

const home = useIsolatedHome('ansible');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(home.dir, 'fleet-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MESH = `mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 20
  underlay:
    interface: eth1
`;

/** Writes files (path → text) under the fleet directory. */
async function fleet(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

async function problemsOf(inventory: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  try {
    await loadInventory(path.join(dir, inventory), env);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.problems.map((p) => `${path.relative(dir, p.file)}:${p.line}:${p.column} ${p.field}: ${p.message}`);
  }
  return [];
}

function sshKeygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, file)]);
}

const INI = `# the fleet as Ansible knows it
[web]
web1 ansible_host=10.0.0.11 meshctl_underlay_address=10.1.0.11
web2 ansible_host=10.0.0.12 ansible_port=2222 zone=b

[db]
db1 ansible_host=10.0.0.21 ansible_user=dba meshctl_mesh_index=7

[prod:children]
web
db

[prod:vars]
ansible_user=ops
ansible_become=yes
zone=a
`;

describe('an INI inventory', () => {
  it('gives hosts their address, user, port, key, become, groups and vars with Ansible precedence', async () => {
    sshKeygen('id_fleet');
    await fleet({
      'hosts.ini': INI,
      'meshctl.yaml': MESH,
      'group_vars/all.yml': 'ansible_ssh_private_key_file: id_fleet\nansible_become_password: "{{ lookup(\'env\', \'FLEET_SUDO\') }}"\nrack: r1\n',
      'group_vars/web/main.yml': 'zone: web-default\ntier: front\n',
      'host_vars/web1.yml': 'tier: edge\n',
    });
    const inventory = await loadInventory(path.join(dir, 'hosts.ini'), { ...process.env, FLEET_SUDO: 's3cret' });
    const byName = new Map(inventory.hosts.map((host) => [host.name, host]));
    expect([...byName.keys()]).toEqual(['web1', 'web2', 'db1']);
    const web1 = byName.get('web1');
    const web2 = byName.get('web2');
    const db1 = byName.get('db1');
    expect(web1).toMatchObject({ address: '10.0.0.11', underlayAddress: '10.1.0.11', become: true, becomePasswordEnv: 'FLEET_SUDO', groups: ['prod', 'web'] });
    expect(web1?.ssh).toMatchObject({ user: 'ops', port: 22, key: path.join(dir, 'id_fleet') });
    // group_vars/web beats [prod:vars]; host_vars/web1 beats group_vars/web.
    expect(web1?.vars).toEqual({ zone: 'web-default', tier: 'edge', rack: 'r1' });
    // A variable on the host's line beats every group's.
    expect(web2?.vars['zone']).toBe('b');
    expect(web2?.ssh.port).toBe(2222);
    expect(web2?.underlayAddress).toBe('10.0.0.12');
    expect(db1).toMatchObject({ meshIndex: 7, groups: ['prod', 'db'] });
    expect(db1?.ssh.user).toBe('dba');
    expect(inventory.groups.sort()).toEqual(['db', 'prod', 'web']);
  });

  it('refuses a literal sudo password at its line without repeating it', async () => {
    await fleet({ 'hosts.ini': INI.replace('zone=a', 'zone=a\nansible_become_password=hunter2'), 'meshctl.yaml': MESH });
    const problems = await problemsOf('hosts.ini');
    expect(problems).toEqual([expect.stringMatching(/^hosts\.ini:17:25 ansible_become_password: meshctl reads the sudo password only from an environment variable/)]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('takes the sudo password variable from a host line, and reports refusals with the other problems', async () => {
    await fleet({
      'hosts.ini': INI.replace('zone=b', `zone=b ansible_become_password="{{ lookup('env', 'WEB2_SUDO') }}"`),
      'meshctl.yaml': MESH,
    });
    const inventory = await loadInventory(path.join(dir, 'hosts.ini'), { ...process.env, WEB2_SUDO: 'x' });
    expect(inventory.hosts.map((host) => host.becomePasswordEnv)).toEqual([undefined, 'WEB2_SUDO', undefined]);
    await fleet({ 'hosts.ini': INI.replace('zone=b', 'zone=b ansible_become_password=hunter2').replace('ansible_user=dba', 'ansible_user=""') });
    expect(await problemsOf('hosts.ini')).toEqual([
      expect.stringMatching(/^hosts\.ini:4:78 web2 ansible_become_password: meshctl reads the sudo password only/),
      'hosts.ini:7:41 db1 ansible_user: must not be empty',
    ]);
  });

  it('names the INI line and the Ansible variable of a bad host field', async () => {
    await fleet({ 'hosts.ini': INI.replace('ansible_port=2222', 'ansible_port=ssh'), 'meshctl.yaml': MESH });
    expect(await problemsOf('hosts.ini')).toEqual(['hosts.ini:4:42 web2 ansible_port: expected a number, got "ssh"']);
  });

  it('names the second host of a duplicate address at its ansible_host', async () => {
    await fleet({ 'hosts.ini': INI.replace('ansible_host=10.0.0.21', 'ansible_host=10.0.0.12'), 'meshctl.yaml': MESH });
    expect(await problemsOf('hosts.ini')).toEqual(["hosts.ini:7:18 db1 ansible_host: duplicate address '10.0.0.12' (also web2)"]);
  });

  it('reports a missing key file once, in the group_vars file that sets it', async () => {
    await fleet({ 'hosts.ini': INI, 'meshctl.yaml': MESH, 'group_vars/prod.yaml': 'ansible_ssh_private_key_file: keys/missing\n' });
    expect(await problemsOf('hosts.ini')).toEqual([`group_vars/prod.yaml:1:31 ansible_ssh_private_key_file: no such file: ${path.join(dir, 'keys/missing')}`]);
  });

  it('reports a mesh problem in meshctl.yaml', async () => {
    await fleet({ 'hosts.ini': INI, 'meshctl.yaml': MESH.replace('slice_prefix: 20', 'slice_prefix: 17') });
    expect(await problemsOf('hosts.ini')).toEqual([
      'hosts.ini:7:64 db1 meshctl_mesh_index: 7 is past the last slice (1) of 172.17.0.0/16',
      'meshctl.yaml:3:9 mesh.pool: 172.17.0.0/16 holds 2 slices of /17, too few for 3 hosts',
    ]);
  });

  it('asks for the mesh settings when there are none', async () => {
    await fleet({ 'hosts.ini': INI });
    expect(await problemsOf('hosts.ini')).toEqual([expect.stringContaining('hosts.ini:1:1 (mesh settings): an Ansible inventory needs the mesh settings: write')]);
  });

  it('refuses hosts: in the mesh settings, which the Ansible inventory gives', async () => {
    await fleet({ 'hosts.ini': INI, 'meshctl.yaml': `${MESH}hosts: []\n` });
    expect(await problemsOf('hosts.ini')).toEqual(['meshctl.yaml:7:1 hosts: hosts come from the Ansible inventory ' + path.join(dir, 'hosts.ini') + ': leave hosts: out of the mesh settings']);
  });

  it('asks for meshctl_underlay_address when a host is reached by a name', async () => {
    await fleet({ 'hosts.ini': INI.replace('web2 ansible_host=10.0.0.12', 'web2 ansible_host=web2.lan'), 'meshctl.yaml': MESH });
    expect(await problemsOf('hosts.ini')).toEqual(['hosts.ini:4:1 web2: meshctl_underlay_address is required when address is a DNS name (tunnels are built to IPv4 addresses)']);
  });

  it('refuses become to another user than root', async () => {
    await fleet({ 'hosts.ini': INI.replace('zone=a', 'zone=a\nansible_become_user=postgres'), 'meshctl.yaml': MESH });
    expect(await problemsOf('hosts.ini')).toEqual([expect.stringMatching(/^hosts\.ini:17:21 ansible_become_user: "postgres": meshctl becomes root only/)]);
  });
});

describe('a YAML inventory', () => {
  const YAML_INVENTORY = `all:
  vars:
    ansible_user: ops
  children:
    web:
      hosts:
        web[1:2]:
          ansible_become: true
    kv:
      hosts:
        store1:
          ansible_host: 10.0.0.31
`;

  it('reads all:, children and ranges, with the mesh settings under meshctl: in group_vars/all', async () => {
    await fleet({
      'fleet.yml': YAML_INVENTORY,
      'host_vars/web1.yml': 'ansible_host: 10.0.0.11\n',
      'host_vars/web2.yml': 'ansible_host: 10.0.0.12\n',
      'group_vars/all.yml': `meshctl:\n  kv:\n    type: etcd\n${MESH.replace(/^/gm, '  ')}`,
    });
    const inventory = await loadInventory(path.join(dir, 'fleet.yml'));
    expect(inventory.hosts.map((host) => [host.name, host.address, host.ssh.user, host.become])).toEqual([
      ['web1', '10.0.0.11', 'ops', true],
      ['web2', '10.0.0.12', 'ops', true],
      ['store1', '10.0.0.31', 'ops', false],
    ]);
    expect(inventory.kv?.nodes).toEqual([{ name: 'store1', address: '10.0.0.31' }]);
    expect(inventory.hosts[0]?.vars).toEqual({});
  });

  it('reports a mesh problem under the meshctl: key of group_vars/all', async () => {
    await fleet({
      'fleet.yml': YAML_INVENTORY.replace('web[1:2]', 'web1').replace('ansible_become: true', 'ansible_host: 10.0.0.11'),
      'group_vars/all.yml': `meshctl:\n${MESH.replace(/^/gm, '  ').replace('ovs-gre', 'ovs-gere')}`,
    });
    expect(await problemsOf('fleet.yml')).toEqual([expect.stringMatching(/^group_vars\/all\.yml:3:14 meshctl\.mesh\.backend: unknown backend "ovs-gere": use one of .*did you mean ovs-gre\?/)]);
  });

  it('refuses the mesh settings in two places', async () => {
    await fleet({ 'fleet.yml': YAML_INVENTORY, 'meshctl.yaml': MESH, 'group_vars/all.yml': `meshctl:\n${MESH.replace(/^/gm, '  ')}` });
    expect(await problemsOf('fleet.yml')).toEqual([expect.stringMatching(/^group_vars\/all\.yml:2:3 meshctl: the mesh settings are also in .*meshctl\.yaml/)]);
  });
});

describe('a meshctl inventory', () => {
  it('is still read as one', async () => {
    await fleet({ 'inventory.yaml': `hosts:\n  - name: n1\n    address: 10.0.0.1\n${MESH}` });
    expect((await loadInventory(path.join(dir, 'inventory.yaml'))).hosts.map((host) => host.name)).toEqual(['n1']);
  });
});
