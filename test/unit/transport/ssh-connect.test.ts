// connect() against in-process ssh2 servers: the host key policies, retries of the connection's
// setup only (refused, reset), none for a refused login or a changed key, and a jump host.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import type { Host, HostKeyPolicy } from '../../../src/inventory/types.js';
import { connect, isTransientConnectFailure } from '../../../src/transport/ssh.js';

let dir: string;
let clientKey: string;
let hostKey: Buffer;
let otherHostKey: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-connect-'));
  for (const name of ['client', 'host', 'other-host']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, name)]);
  clientKey = path.join(dir, 'client');
  hostKey = await readFile(path.join(dir, 'host'));
  otherHostKey = await readFile(path.join(dir, 'other-host'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface TestServer {
  port: number;
  /** TCP connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/** An SSH server that lets anyone in (or no one), and forwards direct-tcpip channels (a jump host). */
async function sshServer(options: { key?: Buffer; refuseLogin?: boolean } = {}): Promise<TestServer> {
  let connections = 0;
  const server = new ssh2.Server({ hostKeys: [options.key ?? hostKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => (options.refuseLogin === true ? ctx.reject(['publickey']) : ctx.accept()));
    client.on('tcpip', (accept, _reject, info) => {
      const channel = accept();
      const socket = net.connect(info.destPort, info.destIP);
      socket.on('error', () => channel.close());
      channel.pipe(socket).pipe(channel);
    });
  });
  server.on('connection', () => connections++);
  return listen(server, () => connections);
}

/** A TCP server that hangs up on every connection before any SSH is said. */
async function hangingUpServer(): Promise<TestServer> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  return listen(server, () => connections);
}

async function listen(server: net.Server | ssh2.Server, connections: () => number): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as net.AddressInfo;
  return { port: address.port, connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function hostAt(port: number, knownHosts: string, hostKeyChecking: HostKeyPolicy = 'accept-new'): Host {
  return {
    name: 'node1',
    address: '127.0.0.1',
    underlayAddress: '127.0.0.1',
    ssh: { user: 'ops', port, key: clientKey, knownHosts, hostKeyChecking, connectTimeoutMs: 5_000, commandTimeoutMs: 10_000 },
    become: false,
    groups: [],
    vars: {},
    docker: { daemon: {}, insecureTcp: false, daemonSources: {} },
  };
}

const FAST_RETRY = { retry: { attempts: 3, firstDelayMs: 10 } };

function knownHostsLine(port: number, key: Buffer): string {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('test key');
  return `[127.0.0.1]:${port} ${parsed.type} ${parsed.getPublicSSH().toString('base64')}\n`;
}

async function failure(work: Promise<unknown>): Promise<ConnectError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  return error;
}

describe('host key checking', () => {
  it('accept-new records a new key, then accepts it', async () => {
    const server = await sshServer();
    const knownHosts = path.join(dir, 'kh-accept-new');
    try {
      await (await connect(hostAt(server.port, knownHosts))).close();
      expect(await readFile(knownHosts, 'utf8')).toBe(knownHostsLine(server.port, hostKey));
      await (await connect(hostAt(server.port, knownHosts))).close();
    } finally {
      await server.close();
    }
  });

  it('strict refuses a key not in known_hosts, at once, and records nothing', async () => {
    const server = await sshServer();
    const knownHosts = path.join(dir, 'kh-strict');
    await writeFile(knownHosts, '');
    try {
      const error = await failure(connect(hostAt(server.port, knownHosts, 'strict'), FAST_RETRY));
      expect(error.reason).toBe('host-key-unknown');
      expect(error.detail).toMatch(/is not in .*kh-strict, and ssh.host_key_checking is strict: .*ssh-keyscan -p \d+ 127\.0\.0\.1/);
      expect(server.connections()).toBe(1);
      expect(await readFile(knownHosts, 'utf8')).toBe('');
      await writeFile(knownHosts, knownHostsLine(server.port, hostKey));
      await (await connect(hostAt(server.port, knownHosts, 'strict'))).close();
    } finally {
      await server.close();
    }
  });

  it('off connects to a host whose key changed and leaves known_hosts alone', async () => {
    const server = await sshServer();
    const knownHosts = path.join(dir, 'kh-off');
    const recorded = knownHostsLine(server.port, otherHostKey);
    await writeFile(knownHosts, recorded);
    try {
      expect((await failure(connect(hostAt(server.port, knownHosts), FAST_RETRY))).reason).toBe('host-key-changed');
      // A changed key is never retried.
      expect(server.connections()).toBe(1);
      await (await connect(hostAt(server.port, knownHosts, 'off'))).close();
      expect(await readFile(knownHosts, 'utf8')).toBe(recorded);
    } finally {
      await server.close();
    }
  });
});

describe('retries', () => {
  it('try the setup three times when the host hangs up, then fail as unreachable', async () => {
    const server = await hangingUpServer();
    try {
      const error = await failure(connect(hostAt(server.port, path.join(dir, 'kh-retry')), FAST_RETRY));
      expect(error.reason).toBe('unreachable');
      expect(server.connections()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('never retry a refused login', async () => {
    const server = await sshServer({ refuseLogin: true });
    try {
      expect((await failure(connect(hostAt(server.port, path.join(dir, 'kh-auth')), FAST_RETRY))).reason).toBe('auth');
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('are for refused, reset and timed-out connections only', () => {
    expect(isTransientConnectFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', level: 'client-socket' }))).toBe(true);
    expect(isTransientConnectFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientConnectFailure(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }))).toBe(true);
    expect(isTransientConnectFailure(Object.assign(new Error('Connection lost before handshake'), { level: 'protocol' }))).toBe(true);
    expect(isTransientConnectFailure(Object.assign(new Error('Handshake failed: no matching host key format'), { level: 'handshake' }))).toBe(false);
    expect(isTransientConnectFailure(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }))).toBe(false);
    expect(isTransientConnectFailure(Object.assign(new Error('getaddrinfo ENOTFOUND nohost'), { code: 'ENOTFOUND', level: 'client-dns' }))).toBe(false);
  });
});

describe('a jump host', () => {
  it('carries the session to the target, each checked against known_hosts under its own name', async () => {
    const target = await sshServer();
    const jump = await sshServer({ key: otherHostKey });
    const knownHosts = path.join(dir, 'kh-jump');
    const host = hostAt(target.port, knownHosts);
    host.ssh.bastion = { address: '127.0.0.1', port: jump.port, user: 'gate', key: clientKey };
    try {
      const connection = await connect(host);
      await connection.close();
      // The target was reached through the jump host: one connection each.
      expect([jump.connections(), target.connections()]).toEqual([1, 1]);
      expect((await readFile(knownHosts, 'utf8')).split('\n').filter((line) => line !== '').sort()).toEqual(
        [knownHostsLine(jump.port, otherHostKey), knownHostsLine(target.port, hostKey)].map((line) => line.trim()).sort(),
      );
    } finally {
      await Promise.all([target.close(), jump.close()]);
    }
  });

  it('names the jump host when the target behind it refuses', async () => {
    const jump = await sshServer({ key: otherHostKey });
    const closed = await hangingUpServer();
    const port = closed.port;
    await closed.close();
    const host = hostAt(port, path.join(dir, 'kh-jump-refused'));
    host.ssh.bastion = { address: '127.0.0.1', port: jump.port, user: 'gate', key: clientKey };
    try {
      const error = await failure(connect(host, FAST_RETRY));
      expect(error.reason).toBe('unreachable');
      expect(error.detail).toMatch(/jump host/);
      expect(jump.connections()).toBe(3);
    } finally {
      await jump.close();
    }
  });
});
