// loadInventory checks what an inventory refers to outside itself (key files, known_hosts, sudo
// password variables, the SSH agent) and reports each problem once, where it was written.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/load.js';

const MESH = `mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 18
`;

let dir: string;
let agent: Server;
let env: NodeJS.ProcessEnv;
// `~` is expanded with os.homedir(), which reads $HOME: the default known_hosts lands in `dir`.
const realHome = process.env['HOME'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-references-'));
  // Keys as users make them, with ssh-keygen: ssh2's own generateKeyPairSync('ed25519') writes a
  // key that neither ssh2 nor OpenSSH can read again about once in 170 tries.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', path.join(dir, 'locked')]);
  await writeFile(path.join(dir, 'plain-file'), 'not a directory\n');
  // Only a socket's existence is checked: a listening one stands in for ssh-agent.
  const socket = path.join(dir, 'agent.sock');
  agent = createServer();
  await new Promise<void>((resolve) => agent.listen(socket, resolve));
  env = { SSH_AUTH_SOCK: socket };
  process.env['HOME'] = dir;
});

afterAll(async () => {
  if (realHome === undefined) delete process.env['HOME'];
  else process.env['HOME'] = realHome;
  await new Promise<void>((resolve) => agent.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function problemsOf(text: string, environment: NodeJS.ProcessEnv = env): Promise<string[]> {
  const file = path.join(dir, `inventory-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  try {
    await loadInventory(file, environment);
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`.replaceAll(dir, '{dir}'));
  } finally {
    await rm(file);
  }
}

const hosts = (extra = ''): string => `hosts:
  - name: node1
    address: 10.0.0.1${extra}
  - name: node2
    address: 10.0.0.2
`;

describe('loadInventory: files and variables the inventory names', () => {
  it('accepts a readable private key and a known_hosts file that does not exist yet', async () => {
    const text = `ssh:\n  key: id_ed25519\n  known_hosts: new/dirs/known_hosts\n${hosts()}${MESH}`;
    expect(await problemsOf(text)).toEqual([]);
  });

  it('reports a missing key set at the top level once, at the top level', async () => {
    expect(await problemsOf(`ssh:\n  key: nowhere/id_rsa\n${hosts()}${MESH}`)).toEqual(['2:8 ssh.key: no such file: {dir}/nowhere/id_rsa']);
  });

  it('reports a key set on one host at that host', async () => {
    const text = `ssh:\n  key: id_ed25519\n${hosts('\n    ssh:\n      key: id_missing')}${MESH}`;
    expect(await problemsOf(text)).toEqual(['7:12 hosts[0].ssh.key: no such file: {dir}/id_missing']);
  });

  it('refuses a passphrase-protected key, which cannot be asked for', async () => {
    expect(await problemsOf(`ssh:\n  key: locked\n${hosts()}${MESH}`)).toEqual([
      '2:8 ssh.key: {dir}/locked is protected by a passphrase, which meshctl cannot ask for: load it into ssh-agent (ssh-add {dir}/locked) and leave ssh.key out',
    ]);
  });

  it('refuses a public key given as the key', async () => {
    expect(await problemsOf(`ssh:\n  key: id_ed25519.pub\n${hosts()}${MESH}`)).toEqual([
      '2:8 ssh.key: {dir}/id_ed25519.pub is a public key: ssh.key names the private key ({dir}/id_ed25519?)',
    ]);
  });

  it('uses ~/.ssh/known_hosts by default and says so when its directory cannot be made', async () => {
    const key = `ssh:\n  key: id_ed25519\n`;
    expect(await problemsOf(`${key}${hosts()}${MESH}`)).toEqual([]);
    process.env['HOME'] = path.join(dir, 'plain-file');
    try {
      expect(await problemsOf(`${key}${hosts()}${MESH}`)).toEqual([
        '1:1 ssh.known_hosts: not set, so the default is used: {dir}/plain-file/.ssh/known_hosts cannot be created: {dir}/plain-file is a file, not a directory',
      ]);
    } finally {
      process.env['HOME'] = dir;
    }
  });

  it('needs an agent for hosts without a key, and names them', async () => {
    const text = `${hosts('\n    ssh:\n      key: id_ed25519')}${MESH}`;
    expect(await problemsOf(text, {})).toEqual([
      '1:1 ssh.key: not set for node2, so the SSH agent is used, but SSH_AUTH_SOCK is not set: set ssh.key, or start ssh-agent and export SSH_AUTH_SOCK',
    ]);
    expect(await problemsOf(text, { SSH_AUTH_SOCK: path.join(dir, 'plain-file') })).toEqual([
      `1:1 ssh.key: not set for node2, so the SSH agent is used, but SSH_AUTH_SOCK={dir}/plain-file is not a running agent's socket: set ssh.key, or restart ssh-agent`,
    ]);
  });

  it('needs the sudo password variable to be set, reported where it is named', async () => {
    const text = `become: true\nbecome_password_env: MESHCTL_TEST_SUDO\n${hosts()}${MESH}`;
    expect(await problemsOf(text)).toEqual([
      '2:22 become_password_env: MESHCTL_TEST_SUDO is not set in the environment: export it before running meshctl',
    ]);
    expect(await problemsOf(text, { ...env, MESHCTL_TEST_SUDO: 'pw' })).toEqual([]);
  });

  it('reports each group setting once, at the group', async () => {
    await mkdir(path.join(dir, 'keys'), { recursive: true });
    const text = `groups:\n  edge:\n    ssh:\n      key: keys\n${hosts('\n    groups: [edge]').replace('address: 10.0.0.2', 'address: 10.0.0.2\n    groups: [edge]')}${MESH}`;
    expect(await problemsOf(text)).toEqual(['4:12 groups.edge.ssh.key: {dir}/keys is a directory, not a key file']);
  });
});
