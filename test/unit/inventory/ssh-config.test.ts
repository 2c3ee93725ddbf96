// ~/.ssh/config as the inventory loader reads it: the inventory's own settings win over the
// config's, which win over meshctl's defaults; ProxyJump and ssh.bastion give the jump host.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { useIsolatedHome } from '../isolated-home.js';

const home = useIsolatedHome('ssh-config');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(home.dir, 'inv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(path.join(home.dir, '.ssh', 'config'), { force: true });
});

const MESH = `mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 20
`;

async function load(inventory: string, sshConfig?: string): Promise<Inventory> {
  if (sshConfig !== undefined) await writeFile(path.join(home.dir, '.ssh', 'config'), sshConfig);
  const file = path.join(dir, 'inventory.yaml');
  await writeFile(file, `${inventory}${MESH}`);
  return loadInventory(file);
}

async function problemsOf(inventory: string, sshConfig?: string): Promise<string[]> {
  try {
    await load(inventory, sshConfig);
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`.replaceAll(home.dir, '~'));
    throw error;
  }
  return [];
}

function keygen(name: string): string {
  const file = path.join(home.dir, '.ssh', name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return file;
}

const CONFIG = `Host web*
  User deploy
  Port 2201
  IdentityFile ~/.ssh/missing
  IdentityFile ~/.ssh/id_web

Host web1
  HostName 10.0.0.11

Host jump
  HostName 10.9.0.1
  User jumper
  Port 2022

Host *
  User fallback
  ProxyJump ops@jump
`;

describe('ssh config', () => {
  it('gives what the inventory leaves unset, through Host patterns, first value winning', async () => {
    const key = keygen('id_web');
    const inventory = await load(
      `hosts:
  - name: web1
    address: web1
  - name: web2
    address: 10.0.0.12
    ssh: { user: root, port: 22 }
`,
      CONFIG,
    );
    const [web1, web2] = inventory.hosts;
    expect(web1).toMatchObject({ address: '10.0.0.11', underlayAddress: '10.0.0.11' });
    // IdentityFile entries that do not exist are skipped, as ssh skips them.
    expect(web1?.ssh).toMatchObject({ user: 'deploy', port: 2201, key });
    // The jump host's own Host block applies to it; ProxyJump's user@ wins over its User.
    expect(web1?.ssh.bastion).toEqual({ address: '10.9.0.1', port: 2022, user: 'ops', key });
    // 10.0.0.12 matches only Host *: the inventory's user and port win over it.
    expect(web2?.ssh).toMatchObject({ user: 'root', port: 22 });
    expect(web2?.ssh.key).toBeUndefined();
  });

  it('is not read with ssh.config: false, and defaults apply', async () => {
    const inventory = await load('ssh:\n  config: false\nhosts:\n  - name: web1\n    address: 10.0.0.11\n', CONFIG);
    expect(inventory.hosts[0]?.ssh).toMatchObject({ user: 'root', port: 22, hostKeyChecking: 'accept-new' });
    expect(inventory.hosts[0]?.ssh.bastion).toBeUndefined();
  });

  it('is read from ssh.config when given, relative to the inventory', async () => {
    await writeFile(path.join(dir, 'fleet_ssh_config'), 'Host 10.0.0.11\n  User fleet\n');
    const inventory = await load('ssh:\n  config: fleet_ssh_config\nhosts:\n  - name: web1\n    address: 10.0.0.11\n', CONFIG);
    expect(inventory.hosts[0]?.ssh.user).toBe('fleet');
  });

  it('ssh.bastion wins over ProxyJump, and takes the host key when it has none', async () => {
    const key = keygen('id_host');
    const inventory = await load(
      `ssh:
  key: ${key}
  bastion: { address: 10.8.0.1, user: gate }
hosts:
  - name: web2
    address: 10.0.0.12
`,
      CONFIG,
    );
    expect(inventory.hosts[0]?.ssh.bastion).toEqual({ address: '10.8.0.1', port: 22, user: 'gate', key });
  });

  it('refuses a missing ssh.config file, a bad Port and several jump hops, where each was written', async () => {
    expect(await problemsOf('ssh:\n  config: nowhere\nhosts:\n  - name: a\n    address: 10.0.0.1\n')).toEqual([
      `2:11 ssh.config: no such file: ${path.join(dir, 'nowhere').replaceAll(home.dir, '~')}`,
    ]);
    expect(await problemsOf('hosts:\n  - name: a\n    address: 10.0.0.1\n', 'Host 10.0.0.1\n  Port ssh\n')).toEqual([
      "2:5 hosts[0]: ~/.ssh/config (Port for Host 10.0.0.1): 'ssh' is not a port (1-65535)",
    ]);
    expect(await problemsOf('hosts:\n  - name: a\n    address: 10.0.0.1\n', 'Host *\n  ProxyJump a,b\n')).toEqual([
      "2:5 hosts[0]: ~/.ssh/config (ProxyJump for Host 10.0.0.1): 'a,b' has 2 hops; meshctl connects through one jump host (set ssh.bastion to the last one)",
    ]);
  });

  it('checks a key that ssh config gives before any connection, and says where it came from', async () => {
    const key = keygen('id_pub_only');
    expect(await problemsOf('hosts:\n  - name: a\n    address: 10.0.0.1\n', `Host *\n  IdentityFile ${key}.pub\n`)).toEqual([
      `2:5 hosts[0]: IdentityFile from ssh config: ~/.ssh/id_pub_only.pub is a public key: ssh.key names the private key (~/.ssh/id_pub_only?)`,
    ]);
  });

  it('host_key_checking strict needs the known_hosts file to exist; off reads none', async () => {
    expect(await problemsOf('ssh:\n  host_key_checking: strict\n  known_hosts: kh\nhosts:\n  - name: a\n    address: 10.0.0.1\n')).toEqual([
      `3:16 ssh.known_hosts: no such file: ${path.join(dir, 'kh').replaceAll(home.dir, '~')}, and ssh.host_key_checking: strict accepts only host keys already in it (add them with ssh-keyscan, or use accept-new)`,
    ]);
    expect(await problemsOf('ssh:\n  host_key_checking: off\n  known_hosts: /proc/version/x\nhosts:\n  - name: a\n    address: 10.0.0.1\n')).toEqual([]);
  });

  it('a missing ~/.ssh/config is no config', async () => {
    const inventory = await load('hosts:\n  - name: a\n    address: 10.0.0.1\n');
    expect(inventory.hosts[0]?.ssh).toMatchObject({ user: 'root', port: 22 });
  });
});
