// The SSH transport: connect(host) opens a node-ssh session checked against known_hosts and
// returns a Connection that runs quoted commands (through sudo when becoming) and puts files.

import { randomBytes } from 'node:crypto';
import { stat, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { Readable } from 'node:stream';
import { NodeSSH, type Config } from 'node-ssh';
import type { ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { CommandTimeoutError, ConnectError, TaskError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection, ExecOptions, ExecResult } from './connection.js';
import { hostKeyFromBlob, knownHostsName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';
import { shellJoin, shellQuote } from './quote.js';

export interface ConnectOptions {
  /** sudo password for become; the caller reads it from the variable named by host.becomePasswordEnv. */
  becomePassword?: string;
}

// Keep-alives every 15 s keep NAT/firewall state through long silent commands (apt); four
// unanswered ones (about a minute) mean the host is gone.
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;
const CLOSE_WAIT_MS = 2_000;
const KILL_TIMEOUT_MS = 15_000;
const RUN_ID_VARIABLE = 'MESHCTL_RUN_ID';
const LONGEST_TIMER_MS = 2_147_483_647;
const DEFAULT_FILE_MODE = 0o644;

/** ssh2's default host key preference; ssh-rsa in known_hosts covers all three RSA names. */
const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Connects to host as host.ssh.user with host.ssh.key (or the agent at $SSH_AUTH_SOCK).
 * Throws ConnectError: 'auth' (no usable key, key rejected), 'unreachable' (refused, DNS, closed),
 * 'timeout' (no session within connectTimeoutMs), 'host-key-changed' (known_hosts mismatch).
 */
export async function connect(host: Host, options: ConnectOptions = {}): Promise<Connection> {
  const credentials = await loadCredentials(host);
  const knownHostsFile = expandHome(host.ssh.knownHosts);
  const hostName = knownHostsName(host.address, host.ssh.port);
  let hostKeyError: unknown;

  const config: Config = {
    host: host.address,
    port: host.ssh.port,
    username: host.ssh.user,
    ...credentials.config,
    readyTimeout: host.ssh.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
      Promise.resolve()
        .then(() => verifyHostKey({ file: knownHostsFile, host: host.name, hostName, key: hostKeyFromBlob(blob) }))
        .then(
          () => verify(true),
          (error: unknown) => {
            hostKeyError = error;
            verify(false);
          },
        );
    },
  };
  const algorithms = await hostKeyPreference(knownHostsFile, hostName);
  if (algorithms !== null) config.algorithms = { serverHostKey: algorithms };

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
  } catch (error) {
    ssh.dispose();
    throw connectFailure(host, credentials.description, hostKeyError ?? error);
  }
  return new SshConnection(ssh, host, options.becomePassword);
}

// ---- credentials --------------------------------------------------------------------------

interface Credentials {
  config: Pick<Config, 'privateKey' | 'agent'>;
  /** Names the key or agent for messages; never key material. */
  description: string;
}

async function loadCredentials(host: Host): Promise<Credentials> {
  if (host.ssh.key !== undefined) {
    const path = expandHome(host.ssh.key);
    try {
      return { config: { privateKey: await readFile(path, 'utf8') }, description: `key ${path}` };
    } catch (error) {
      throw new ConnectError(host.name, 'auth', `cannot read private key ${path}: ${errorText(error)}`);
    }
  }
  const agent = process.env['SSH_AUTH_SOCK'];
  if (agent === undefined || agent === '') {
    throw new ConnectError(
      host.name,
      'auth',
      `no SSH key for ${endpoint(host)}: set ssh.key in the inventory, or start ssh-agent and export SSH_AUTH_SOCK`,
    );
  }
  const isSocket = await stat(agent).then((s) => s.isSocket(), () => false);
  if (!isSocket) {
    throw new ConnectError(host.name, 'auth', `SSH_AUTH_SOCK=${agent} is not a running ssh-agent's socket; set ssh.key or restart the agent`);
  }
  return { config: { agent }, description: `the keys in the SSH agent (${agent})` };
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** Ask for the key types known_hosts already has first, as OpenSSH does, so a host with
 * several keys is not taken for a new one. */
async function hostKeyPreference(file: string, hostName: string): Promise<ServerHostKeyAlgorithm[] | null> {
  const entries = await readKnownHosts(file).catch(() => []);
  const known = new Set(knownKeyTypes(entries, hostName).flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type])));
  if (known.size === 0) return null;
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => known.has(a));
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !known.has(a))];
}

// ---- errors -------------------------------------------------------------------------------

function endpoint(host: Host): string {
  return host.address.includes(':') ? `[${host.address}]:${host.ssh.port}` : `${host.address}:${host.ssh.port}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function connectFailure(host: Host, credentials: string, error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const where = endpoint(host);
  const level = (error as { level?: unknown }).level;
  const code = (error as { code?: unknown }).code;
  const message = errorText(error);
  if (level === 'client-authentication') {
    return new ConnectError(host.name, 'auth', `${where} refused ${credentials} for user ${host.ssh.user}`);
  }
  if (level === 'agent') return new ConnectError(host.name, 'auth', `the SSH agent failed: ${message}`);
  if (message.startsWith('Cannot parse privateKey') || message.includes('privateKey value')) {
    return new ConnectError(host.name, 'auth', `cannot use ${credentials}: ${message.replace(/^Cannot parse privateKey: /, '')}`);
  }
  if (message === 'No response from server') {
    // node-ssh's words (with code ETIMEDOUT) for a server that hung up before the session was ready.
    return new ConnectError(host.name, 'unreachable', `${where} closed the connection before the SSH session was ready`);
  }
  if (level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new ConnectError(host.name, 'timeout', `no SSH session with ${where} within ${host.ssh.connectTimeoutMs / 1000}s`);
  }
  if (level === 'client-dns' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectError(host.name, 'unreachable', `cannot resolve ${host.address}: ${message}`);
  }
  if (code === 'ECONNREFUSED') return new ConnectError(host.name, 'unreachable', `${where} refused the connection (is sshd running on that port?)`);
  return new ConnectError(host.name, 'unreachable', `cannot connect to ${where}: ${message}`);
}

// ---- the connection ---------------------------------------------------------------------------

type BecomeMode = 'sudo' | 'sudo-with-password';

interface RunRequest {
  command: string;
  /** What the command is called in a timeout message (never contains the stdin). */
  label: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  become?: boolean;
  /** False for the kill command itself. */
  killOnTimeout?: boolean;
}

class SshConnection implements Connection {
  readonly host: string;
  private closed = false;
  private lost: ConnectError | null = null;
  private readonly abortRunning = new Set<(error: ConnectError) => void>();
  private becomeMode: Promise<BecomeMode> | null = null;

  constructor(
    private readonly ssh: NodeSSH,
    private readonly target: Host,
    private readonly becomePassword: string | undefined,
  ) {
    this.host = target.name;
    const client = ssh.connection;
    if (client === null) throw new Error('node-ssh reported a connection without a client');
    client.on('error', (error: Error) => this.markLost(`the connection to ${endpoint(target)} failed: ${error.message}`));
    client.on('close', () => this.markLost(`the connection to ${endpoint(target)} was closed`));
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = shellJoin(argv);
    return this.run({ ...options, command, label: command });
  }

  execScript(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.run({ ...options, command: shellJoin(['sh', '-c', script]), label: `sh -c ${shellQuote(script)}` });
  }

  async putFile(remotePath: string, content: string | Buffer, options: { mode?: number; become?: boolean } = {}): Promise<void> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const fail = (result: ExecResult): never => {
      throw new TaskError(this.host, `put file ${remotePath}`, result.stderr.trim() || `exit code ${result.code}`);
    };
    // Upload as the login user: under `sudo -S` the password shares stdin with the content.
    const upload = await this.run({ command: shellJoin(['sh', '-c', UPLOAD_SCRIPT]), label: `upload ${remotePath}`, stdin: bytes, become: false });
    const tempPath = upload.stdout;
    if (upload.code !== 0 || !/^\/[^\n]+$/.test(tempPath)) fail(upload);
    const mode = (options.mode ?? DEFAULT_FILE_MODE).toString(8);
    const placeArgv = ['sh', '-c', PLACE_SCRIPT, 'place-file', tempPath, remotePath, mode, String(bytes.length)];
    const place = await this.run({ command: shellJoin(placeArgv), label: `install ${remotePath}`, become: options.become }).catch(async (error: unknown) => {
      // PLACE_SCRIPT removes the upload itself; here it never ran (sudo refused, timeout).
      await this.run({ command: shellJoin(['rm', '-f', '--', tempPath]), label: `rm ${tempPath}`, become: false }).catch(() => undefined);
      throw error;
    });
    if (place.code !== 0) fail(place);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.ssh.connection;
    if (client === null || this.lost !== null) return;
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      setTimeout(resolve, CLOSE_WAIT_MS).unref();
      client.end();
    });
  }

  private markLost(detail: string): void {
    if (this.lost !== null) return;
    const why = this.closed ? 'meshctl closed the connection while a command was running' : detail;
    this.lost = new ConnectError(this.host, 'unreachable', why);
    for (const abort of this.abortRunning) abort(this.lost);
  }

  /** Runs a command as the login user, or through sudo when becoming; past its timeout the
   * command is closed, then killed on the host, before CommandTimeoutError is thrown. */
  private async run(request: RunRequest): Promise<ExecResult> {
    const runId = randomBytes(8).toString('hex');
    // Every process the command starts inherits this tag, which is how killRun finds them.
    const command = `export ${RUN_ID_VARIABLE}=${runId}; ${request.command}`;
    const becoming = (request.become ?? this.target.become) && this.target.ssh.user !== 'root';
    const wrapped = becoming ? await this.throughSudo(command, request.stdin) : { command, stdin: request.stdin };
    try {
      return await this.runRaw({ ...request, ...wrapped });
    } catch (error) {
      if (error instanceof CommandTimeoutError && request.killOnTimeout !== false) await this.killRun(runId, becoming);
      throw error;
    }
  }

  private async throughSudo(command: string, stdin: string | Buffer | undefined): Promise<{ command: string; stdin?: string | Buffer }> {
    const mode = await this.resolveBecomeMode();
    if (mode === 'sudo') return { command: shellJoin(['sudo', '-n', '--', 'sh', '-c', command]), stdin };
    // -k makes sudo read the password every time, so the password line can never fall
    // through to the command's stdin because of a cached sudo timestamp.
    return {
      command: shellJoin(['sudo', '-k', '-S', '-p', '', '--', 'sh', '-c', command]),
      stdin: Buffer.concat([Buffer.from(`${this.becomePassword ?? ''}\n`), asBuffer(stdin)]),
    };
  }

  /** Closing the channel does not stop the command (sshd cannot signal root sessions), so kill
   * every process tagged with its run id; best effort, a failure here changes nothing. */
  private async killRun(runId: string, become: boolean): Promise<void> {
    const command = shellJoin(['sh', '-c', KILL_RUN_SCRIPT, 'kill-run', RUN_ID_VARIABLE, runId]);
    await this.run({ command, label: 'kill timed-out command', timeoutMs: KILL_TIMEOUT_MS, become, killOnTimeout: false }).catch(() => undefined);
  }

  /** Runs one command on a fresh channel; stdout/stderr are decoded once at the end. */
  private runRaw(request: RunRequest): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Error(`${this.host}: the connection is already closed`));
    if (this.lost !== null) return Promise.reject(this.lost);
    const timeoutMs = request.timeoutMs ?? this.target.ssh.commandTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let channel: ClientChannel | undefined;
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abortRunning.delete(abort);
        action();
      };
      const abort = (error: ConnectError): void => settle(() => reject(error));
      this.abortRunning.add(abort);
      const timer =
        timeoutMs > 0 && timeoutMs <= LONGEST_TIMER_MS
          ? setTimeout(() => {
              channel?.close();
              settle(() => reject(new CommandTimeoutError(this.host, shorten(request.label), timeoutMs)));
            }, timeoutMs)
          : undefined;
      const stdin = request.stdin === undefined || request.stdin.length === 0 ? undefined : Readable.from([asBuffer(request.stdin)]);
      this.ssh
        .execCommand(request.command, {
          stdin,
          noTrim: true,
          onChannel: (c) => (channel = c),
          onStdout: (chunk) => stdout.push(chunk),
          onStderr: (chunk) => stderr.push(chunk),
        })
        .then(
          (result) =>
            settle(() => {
              // A channel torn down with the connection closes without an exit status.
              if (this.lost !== null && result.code === null && result.signal === null) reject(this.lost);
              else resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code: result.code, signal: result.signal });
            }),
          (error: unknown) =>
            settle(() => reject(this.lost ?? new ConnectError(this.host, 'unreachable', `cannot run a command on ${endpoint(this.target)}: ${errorText(error)}`))),
        );
    });
  }

  private resolveBecomeMode(): Promise<BecomeMode> {
    this.becomeMode ??= this.probeSudo().catch((error: unknown) => {
      // A refusal stays true for this connection; a timeout or a lost connection may not.
      if (!(error instanceof ConnectError && error.reason === 'become')) this.becomeMode = null;
      throw error;
    });
    return this.becomeMode;
  }

  /**
   * Finds out once per connection how sudo lets this user in, so that the real commands'
   * exit codes and stderr are theirs alone. Throws ConnectError 'become' when it will not.
   */
  private async probeSudo(): Promise<BecomeMode> {
    const who = `${this.target.ssh.user}@${endpoint(this.target)}`;
    const refused = (detail: string) => new ConnectError(this.host, 'become', `${who}: ${detail}`);
    // -k: ignore cached credentials, so success means sudoers needs no password for this user.
    const probe = await this.runRaw({ command: 'sudo -k -n true', label: 'sudo -k -n true' });
    if (probe.code === 0) return 'sudo';
    if (probe.code === 127) throw refused('sudo is not installed, and become needs it');
    if (!/password is required/i.test(probe.stderr)) throw refused(`sudo refused: ${firstLine(probe.stderr)}`);
    if (this.becomePassword === undefined) {
      throw refused('sudo needs a password; set becomePasswordEnv for this host and export that variable');
    }
    const check = await this.runRaw({
      command: "sudo -k -S -p '' -- true",
      label: 'sudo -S true',
      stdin: `${this.becomePassword}\n`,
    });
    if (check.code === 0) return 'sudo-with-password';
    if (/incorrect password|try again|no password was provided/i.test(check.stderr)) throw refused('sudo rejected the become password');
    throw refused(`sudo refused: ${firstLine(check.stderr)}`);
  }
}

function asBuffer(data: string | Buffer | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function shorten(label: string): string {
  return label.length > 200 ? `${label.slice(0, 200)}…` : label;
}

// Prints the path of a fresh private temp file holding stdin.
const UPLOAD_SCRIPT = 'umask 077; tmp=$(mktemp) || exit 1; if cat > "$tmp"; then printf %s "$tmp"; else rm -f -- "$tmp"; exit 1; fi';

// Args: temp file, target, octal mode, expected size. Copies into a temp file beside the
// target and renames it over the target, so readers see the old or the new file, never half.
const PLACE_SCRIPT = `set -e
tmp=$1 dest=$2 mode=$3 size=$4 staged=
trap 'rm -f -- "$tmp"; [ -z "$staged" ] || rm -f -- "$staged"' EXIT
if [ "$(($(wc -c < "$tmp")))" -ne "$size" ]; then echo "upload of $dest was cut short" >&2; exit 1; fi
if [ -d "$dest" ]; then echo "$dest is a directory" >&2; exit 1; fi
dir=$(dirname -- "$dest")
mkdir -p -- "$dir"
staged=$(mktemp "$dir/.meshctl.XXXXXX")
cp -- "$tmp" "$staged"
chmod "$mode" "$staged"
mv -f -- "$staged" "$dest"
staged=`;

// Args: variable name, run id. TERM every process whose environment carries the run id, then
// KILL what is left a second later.
const KILL_RUN_SCRIPT = `tagged() {
  for d in /proc/[0-9]*; do
    tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep -qx "$1=$2" && echo "\${d#/proc/}"
  done
}
pids=$(tagged "$1" "$2")
[ -n "$pids" ] || exit 0
kill -TERM $pids 2>/dev/null
sleep 1
pids=$(tagged "$1" "$2")
[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
exit 0`;
