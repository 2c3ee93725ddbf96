// The SSH transport against a real OpenSSH sshd that this test starts on 127.0.0.1 (and installs
// with apt-get when missing), with its own host keys, client keys and known_hosts in a temp dir.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTimeoutError, ConnectError, TaskError } from '../../src/errors.js';
import type { Host, SshSettings } from '../../src/inventory/types.js';
import type { Connection } from '../../src/transport/connection.js';
import { connect } from '../../src/transport/ssh.js';

const SSHD = '/usr/sbin/sshd';
const BECOME_USER = 'meshctl-e2e';
const BECOME_PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const SUDOERS_FILE = `/etc/sudoers.d/${BECOME_USER}`;
/** A sleep no other process on the machine runs, so the tests can tell whether it was killed. */
const SLEEP = `30.${process.pid}`;

let dir: string;
let port: number;
let sshd: ChildProcess | undefined;
let knownHosts: string;

// ---- fixtures ----------------------------------------------------------------------------------

function run(file: string, args: string[], input?: string): string {
  return execFileSync(file, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The CI machine starts without sshd (and sudo): install them the way a person would. */
function installPackages(packages: string[]): void {
  const missing = packages.filter((p) => {
    try {
      return !run('dpkg-query', ['-W', '-f=${Status}', p]).includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const install = (): string =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { stdio: 'ignore' });
    install();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function generateKey(path: string): void {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'meshctl-e2e', '-f', path]);
}

async function startSshd(): Promise<void> {
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd = child;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log}`));
    });
  });
}

async function stopSshd(): Promise<void> {
  const child = sshd;
  sshd = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function testHost(ssh: Partial<SshSettings> = {}, host: Partial<Host> = {}): Host {
  return {
    name: 'web1',
    address: '127.0.0.1',
    underlayAddress: '127.0.0.1',
    ssh: {
      user: 'root',
      port,
      key: join(dir, 'client_key'),
      knownHosts,
      hostKeyChecking: 'accept-new',
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 60_000,
      ...ssh,
    },
    become: false,
    groups: [],
    vars: {},
    docker: { daemon: {}, insecureTcp: false, daemonSources: {} },
    ...host,
  };
}

async function withConnection<T>(host: Host, use: (c: Connection) => Promise<T>, becomePassword?: string): Promise<T> {
  const connection = await connect(host, becomePassword === undefined ? {} : { becomePassword });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => new Error('expected a ConnectError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A TCP server on 127.0.0.1 that is not sshd, for connect failures. */
async function withFakeServer(onSocket: (socket: Socket) => void, use: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  try {
    await use(typeof address === 'object' && address !== null ? address.port : 0);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
}

/** How many processes run with a command line starting with `prefix`, once they had a moment to die. */
async function processesRunning(connection: Connection, prefix: string): Promise<number> {
  const count = `for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c "^$1 " || true`;
  let running = -1;
  for (let attempt = 0; attempt < 30 && running !== 0; attempt += 1) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 200));
    running = Number((await connection.exec(['sh', '-c', count, 'count', prefix], { timeoutMs: 20_000, become: false })).stdout.trim());
  }
  return running;
}

beforeAll(async () => {
  if (!existsSync(SSHD)) installPackages(['openssh-server']);
  installPackages(['sudo']);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  dir = await mkdtemp(join(tmpdir(), 'meshctl-sshd-'));
  // The unprivileged become user reads authorized_keys from here.
  await chmod(dir, 0o755);
  knownHosts = join(dir, 'client-ssh', 'known_hosts');
  generateKey(join(dir, 'host_key'));
  generateKey(join(dir, 'client_key'));
  generateKey(join(dir, 'wrong_key'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o644 });
  port = await freePort();
  await startSshd();
});

afterAll(async () => {
  await stopSshd();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

// ---- tests ---------------------------------------------------------------------------------------

describe('host keys', () => {
  it('records the host key on the first connect and accepts it on the second', async () => {
    await withConnection(testHost(), async () => undefined);
    const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ');
    const recorded = await readFile(knownHosts, 'utf8');
    expect(recorded).toBe(`[127.0.0.1]:${port} ${hostKey[0]} ${hostKey[1]}\n`);
    await withConnection(testHost(), async () => undefined);
    expect(await readFile(knownHosts, 'utf8')).toBe(recorded);
  });
});

describe('exec', () => {
  const AWKWARD = ['', ' ', "it's", '"quoted"', '$HOME', '$(id)', '`id`', 'a\nb', 'back\\slash', '*', '~', 'A=b', 'ünï ✓'];

  it('passes awkward arguments through exactly', async () => {
    const result = await withConnection(testHost(), (c) => c.exec(['printf', '%s\\0', ...AWKWARD]));
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(AWKWARD);
  });

  it('returns a non-zero exit with its output instead of throwing', async () => {
    await withConnection(testHost(), async (c) => {
      expect(await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
      expect(await c.exec(['false'])).toMatchObject({ code: 1 });
      expect(await c.exec(['/nonexistent/command'])).toMatchObject({ code: 127 });
    });
  });

  it('runs scripts with sh -c', async () => {
    const script = `x="it's"\necho "$x $((1 + 2))" '$HOME'`;
    const result = await withConnection(testHost(), (c) => c.execScript(script));
    expect(result).toMatchObject({ stdout: "it's 3 $HOME\n", code: 0 });
  });

  it('passes stdin', async () => {
    const stdin = "line 1 $HOME\n'line 2'\nünï\n";
    await withConnection(testHost(), async (c) => {
      expect((await c.exec(['cat'], { stdin })).stdout).toBe(stdin);
      expect((await c.execScript('wc -l', { stdin })).stdout.trim()).toBe('3');
    });
  });

  it('runs commands side by side on one connection', async () => {
    const results = await withConnection(testHost(), (c) => Promise.all(Array.from({ length: 8 }, (_, i) => c.exec(['echo', String(i)]))));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });

  it('throws CommandTimeoutError past the timeout, kills the command and stays usable', async () => {
    await withConnection(testHost({ commandTimeoutMs: 700 }), async (c) => {
      const started = Date.now();
      const error = await c.exec(['sleep', SLEEP]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect(error).toMatchObject({ host: 'web1', command: `sleep ${SLEEP}`, timeoutMs: 700 });
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(c.exec(['sleep', '5'], { timeoutMs: 300 })).rejects.toBeInstanceOf(CommandTimeoutError);
      expect((await c.exec(['echo', 'still here'])).stdout).toBe('still here\n');
      expect(await processesRunning(c, `sleep ${SLEEP}`)).toBe(0);
    });
  });

  it('reports a dropped connection as ConnectError unreachable', async () => {
    const connection = await connect(testHost());
    // Kill the sshd process serving this session, as a crashed host or a cut cable would.
    const killSession = 'p=$PPID; while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d" " -f4 /proc/$p/stat); done; kill -9 $p; sleep 10';
    const error = await connectError(connection.execScript(killSession));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect((await connectError(connection.exec(['true']))).reason).toBe('unreachable');
    await connection.close();
  });

  it('closes idempotently', async () => {
    const connection = await connect(testHost());
    await connection.close();
    await connection.close();
    await expect(connection.exec(['true'])).rejects.toThrow(/closed/);
  });
});

describe('putFile', () => {
  it('writes text with a mode, creating parent directories, and replaces it atomically', async () => {
    const path = join(dir, 'put', 'nested', "it's a file.conf");
    await withConnection(testHost(), async (c) => {
      await c.putFile(path, 'first\n', { mode: 0o640 });
      await c.putFile(path, 'net.ipv4.ip_forward = 1\n', { mode: 0o640 });
      const check = await c.exec(['sh', '-c', 'stat -c %a "$1" && cat "$1" && ls -A "$(dirname "$1")"', 'check', path]);
      expect(check.stdout).toBe(`640\nnet.ipv4.ip_forward = 1\nit's a file.conf\n`);
    });
  });

  it('round-trips a 3 MB binary with its mode', async () => {
    const content = randomBytes(3 * 1024 * 1024);
    const path = join(dir, 'put', 'busybox');
    await withConnection(testHost(), async (c) => {
      const started = Date.now();
      await c.putFile(path, content, { mode: 0o755 });
      const elapsed = Date.now() - started;
      const check = await c.exec(['sh', '-c', 'stat -c %a "$1" && sha256sum < "$1"', 'check', path]);
      expect(check.stdout).toBe(`755\n${sha256(content)}  -\n`);
      expect(elapsed).toBeLessThan(30_000);
    });
    expect(sha256(await readFile(path))).toBe(sha256(content));
  });

  it('throws TaskError when the target cannot be written, leaving no temp files', async () => {
    const target = join(dir, 'put', 'a-directory');
    await mkdir(target, { recursive: true });
    await withConnection(testHost(), async (c) => {
      const error = await c.putFile(target, 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).message).toContain('is a directory');
      expect((await c.exec(['ls', '-A', join(dir, 'put')])).stdout).not.toContain('.meshctl.');
    });
  });
});

describe('become', () => {
  const becomeHost = (overrides: Partial<Host> = {}): Host => testHost({ user: BECOME_USER }, { become: true, ...overrides });

  beforeAll(async () => {
    try {
      run('userdel', ['-r', BECOME_USER]);
    } catch {
      // Not left over from an earlier run.
    }
    run('useradd', ['-m', '-s', '/bin/sh', BECOME_USER]);
    // sshd refuses locked accounts when it runs without PAM; the password also serves sudo.
    run('chpasswd', [], `${BECOME_USER}:${BECOME_PASSWORD}\n`);
  });

  afterAll(async () => {
    await rm(SUDOERS_FILE, { force: true });
    try {
      run('userdel', ['-r', BECOME_USER]);
    } catch {
      // Already gone.
    }
  });

  async function sudoers(rule: string): Promise<void> {
    await writeFile(SUDOERS_FILE, `${BECOME_USER} ALL=(ALL) ${rule}\n`, { mode: 0o440 });
  }

  it('runs as root through passwordless sudo, and as the user without become', async () => {
    await sudoers('NOPASSWD: ALL');
    await withConnection(becomeHost(), async (c) => {
      expect((await c.exec(['id', '-u'])).stdout).toBe('0\n');
      expect((await c.exec(['id', '-un'], { become: false })).stdout).toBe(`${BECOME_USER}\n`);
      expect((await c.exec(['cat'], { stdin: 'as root\n' })).stdout).toBe('as root\n');
      expect(await c.execScript('echo "$1-$(id -u)"; exit 4')).toMatchObject({ stdout: '-0\n', code: 4 });
    });
  });

  it('puts a root-owned file where only root may write', async () => {
    await sudoers('NOPASSWD: ALL');
    const path = join(dir, 'root-only', 'etc', 'meshctl.conf');
    await mkdir(join(dir, 'root-only'), { recursive: true, mode: 0o755 });
    await withConnection(becomeHost(), async (c) => {
      await c.putFile(path, 'owned by root\n', { mode: 0o600 });
      const check = await c.exec(['stat', '-c', '%U %a', path]);
      expect(check.stdout).toBe('root 600\n');
      const denied = await c.putFile(join(dir, 'root-only', 'x'), 'y', { become: false }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(TaskError);
    });
    expect(await readFile(path, 'utf8')).toBe('owned by root\n');
  });

  it('types the sudo password first, and never into the command stdin', async () => {
    await sudoers('ALL');
    await withConnection(
      becomeHost(),
      async (c) => {
        expect((await c.exec(['id', '-u'])).stdout).toBe('0\n');
        const stdin = 'caller stdin\n';
        expect(await c.exec(['cat'], { stdin })).toMatchObject({ stdout: stdin, code: 0 });
        expect((await c.exec(['cat'])).stdout).toBe('');
        await c.putFile(join(dir, 'root-only', 'with-password'), 'ok\n');
      },
      BECOME_PASSWORD,
    );
    expect(await readFile(join(dir, 'root-only', 'with-password'), 'utf8')).toBe('ok\n');
  });

  it('stops a timed-out command that runs as root', async () => {
    await sudoers('NOPASSWD: ALL');
    await withConnection(becomeHost(), async (c) => {
      await expect(c.exec(['sleep', SLEEP], { timeoutMs: 700 })).rejects.toBeInstanceOf(CommandTimeoutError);
      expect(await processesRunning(c, `sleep ${SLEEP}`)).toBe(0);
    });
  });

  it('says clearly when sudo wants a password it was not given, or rejects it', async () => {
    await sudoers('ALL');
    await withConnection(becomeHost(), async (c) => {
      const error = await connectError(c.exec(['id', '-u']));
      expect(error.reason).toBe('become');
      expect(error.message).toMatch(/needs a password.*become_password_env/);
      expect((await c.exec(['id', '-u'], { become: false })).code).toBe(0);
    });
    await withConnection(
      becomeHost(),
      async (c) => {
        const error = await connectError(c.exec(['id', '-u']));
        expect(error.reason).toBe('become');
        expect(error.message).toContain('rejected the become password');
        expect(error.message).not.toContain('wrong-password');
      },
      'wrong-password',
    );
  });
});

describe('connect failures', () => {
  it('refuses a wrong client key with auth, naming host, user and key', async () => {
    const key = join(dir, 'wrong_key');
    const error = await connectError(connect(testHost({ key })));
    expect(error.reason).toBe('auth');
    expect(error.message).toContain('web1');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('root');
    expect(error.message).toContain(key);
    expect(error.message).not.toContain((await readFile(key, 'utf8')).split('\n')[1] ?? '-');
  });

  it('fails with auth when the key file is missing or no agent is there', async () => {
    expect((await connectError(connect(testHost({ key: join(dir, 'missing_key') })))).reason).toBe('auth');
    const agent = process.env['SSH_AUTH_SOCK'];
    delete process.env['SSH_AUTH_SOCK'];
    try {
      const error = await connectError(connect(testHost({ key: undefined })));
      expect(error.reason).toBe('auth');
      expect(error.message).toMatch(/ssh\.key.*SSH_AUTH_SOCK/);
    } finally {
      if (agent !== undefined) process.env['SSH_AUTH_SOCK'] = agent;
    }
  });

  it('authenticates through ssh-agent when no key is set', async () => {
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    const saved = process.env['SSH_AUTH_SOCK'];
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i += 1) await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', ['-q', join(dir, 'client_key')], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      process.env['SSH_AUTH_SOCK'] = socket;
      const result = await withConnection(testHost({ key: undefined }), (c) => c.exec(['echo', 'via agent']));
      expect(result.stdout).toBe('via agent\n');
    } finally {
      if (saved === undefined) delete process.env['SSH_AUTH_SOCK'];
      else process.env['SSH_AUTH_SOCK'] = saved;
      agent.kill();
    }
  });

  it('reports a closed port as unreachable', async () => {
    const closedPort = await freePort();
    const error = await connectError(connect(testHost({ port: closedPort })));
    expect(error.reason).toBe('unreachable');
    expect(error.message).toContain(`web1: 127.0.0.1:${closedPort}`);
  });

  it('reports a server that never speaks SSH as timeout', async () => {
    await withFakeServer(
      () => undefined,
      async (fakePort) => {
        const started = Date.now();
        const error = await connectError(connect(testHost({ port: fakePort, connectTimeoutMs: 800 })));
        expect(error.reason).toBe('timeout');
        expect(error.message).toContain('0.8s');
        // A timeout is tried 3 times, 1 s then 2 s apart (ssh.ts): bounded, never a hang.
        expect(Date.now() - started).toBeLessThan(3 * 800 + 1_000 + 2_000 + 3_000);
      },
    );
  });

  it('reports a server that hangs up at once as unreachable', async () => {
    await withFakeServer(
      (socket) => socket.destroy(),
      async (fakePort) => {
        const error = await connectError(connect(testHost({ port: fakePort })));
        expect(error.reason).toBe('unreachable');
        expect(error.message).toContain(`127.0.0.1:${fakePort}`);
      },
    );
  });

  // Last: it replaces the server's host key.
  it('refuses a host whose key changed, naming the known_hosts line to remove', async () => {
    await stopSshd();
    await rm(join(dir, 'host_key'));
    await rm(join(dir, 'host_key.pub'));
    generateKey(join(dir, 'host_key'));
    await startSshd();
    const before = await readFile(knownHosts, 'utf8');
    const error = await connectError(connect(testHost()));
    expect(error.reason).toBe('host-key-changed');
    expect(error.message).toContain(`[127.0.0.1]:${port}`);
    expect(error.message).toContain(`${knownHosts}:1`);
    expect(error.message).toContain(`remove line 1 from ${knownHosts}`);
    const newFingerprint = run('ssh-keygen', ['-l', '-f', join(dir, 'host_key.pub')]).split(' ')[1] ?? 'missing';
    expect(error.message).toContain(newFingerprint);
    expect(await readFile(knownHosts, 'utf8')).toBe(before);
  });
});
