// The SSH transport: connect(host) opens a node-ssh session (through a jump host when the
// inventory or ssh config names one, retried while the host refuses or does not answer),
// checked against known_hosts, and returns a Connection that runs quoted commands (through sudo when becoming) and puts files.
// Here: connecting and what a failure to connect means; ssh-connection.ts is the session,
// credentials.ts the key or agent, sudo.ts become, remote-scripts.ts the scripts it runs.
import { NodeSSH, type Config } from 'node-ssh';
import type { ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { ConnectError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import { retryWithBackoff } from '../retry.js';
import type { Connection } from './connection.js';
import { loadCredentials } from './credentials.js';
import { endpoint, errorText } from './endpoint.js';
import { hostKeyFromBlob, knownHostsName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';
import { SshConnection } from './ssh-connection.js';

export interface ConnectOptions {
  /** sudo password for become; the caller reads it from the variable named by host.becomePasswordEnv. */
  becomePassword?: string;
  /** Attempts at setting up the connection, and the first wait between them (it doubles). */
  retry?: { attempts: number; firstDelayMs: number };
}

/**
 * A host that refuses, resets or does not answer may be booting or briefly overloaded: try
 * three times, waiting 1 s then 2 s. Only the connection's setup is retried, never a command,
 * and never a refused login or host key.
 */
const CONNECT_RETRY = { attempts: 3, firstDelayMs: 1_000 };

// Keep-alives every 15 s keep NAT/firewall state through long silent commands (apt); four
// unanswered ones (about a minute) mean the host is gone.
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;

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
 * Connects to host as host.ssh.user with host.ssh.key (or the agent at $SSH_AUTH_SOCK),
 * through host.ssh.bastion when there is one, checking host keys as host.ssh.hostKeyChecking says.
 * Throws ConnectError: 'auth' (no usable key, key rejected), 'unreachable' (refused, DNS, closed),
 * 'timeout' (no session within connectTimeoutMs), 'host-key-changed' (known_hosts mismatch),
 * 'host-key-unknown' (strict, and the key is not in known_hosts).
 */
export async function connect(host: Host, options: ConnectOptions = {}): Promise<Connection> {
  const retry = options.retry ?? CONNECT_RETRY;
  const ssh = await retryWithBackoff(() => openSession(host), {
    attempts: retry.attempts,
    firstDelayMs: retry.firstDelayMs,
    maxDelayMs: retry.firstDelayMs * 2,
    retryIf: (error) => error instanceof ConnectError && transientFailures.has(error),
  });
  return new SshConnection(ssh, host, options.becomePassword);
}

/** Failures another attempt may cure: refused, reset, timed out, unreachable network. */
const transientFailures = new WeakSet<ConnectError>();

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

/** Whether ssh2's error is one of those (a refused login or host key never is). */
export function isTransientConnectFailure(error: unknown): boolean {
  const { level, code } = error as { level?: unknown; code?: unknown };
  if (level === 'client-authentication' || level === 'agent' || level === 'handshake') return false;
  if (level === 'client-timeout') return true;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const message = errorText(error);
  // A server that hung up before the session was ready (sshd still starting, MaxStartups), in
  // ssh2's and node-ssh's words; a jump host's report that the target refused or did not answer.
  return (
    message === 'Connection lost before handshake' ||
    message === 'No response from server' ||
    /Channel open failure: .*(refused|timed out|reset|unreachable)/i.test(message)
  );
}

async function openSession(host: Host): Promise<NodeSSH> {
  const bastion = host.ssh.bastion;
  if (bastion === undefined) return openSsh(host, undefined);
  const jumpHost: Host = { ...host, address: bastion.address, ssh: { ...host.ssh, user: bastion.user, port: bastion.port } };
  delete jumpHost.ssh.bastion;
  if (bastion.key === undefined) delete jumpHost.ssh.key;
  else jumpHost.ssh.key = bastion.key;
  const jump = await openSsh(jumpHost, undefined).catch((error: unknown) => {
    throw throughJumpHost(error, 'jump host: ');
  });
  try {
    const stream = await forwardTo(jump, host);
    const ssh = await openSsh(host, stream);
    // The target's session runs inside the jump host's: it goes when the target's does.
    ssh.connection?.once('close', () => jump.dispose());
    return ssh;
  } catch (error) {
    jump.dispose();
    throw throughJumpHost(error, `through jump host ${endpoint(jumpHost)}: `);
  }
}

function forwardTo(jump: NodeSSH, host: Host): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const client = jump.connection;
    if (client === null) {
      reject(new Error('node-ssh reported a connection without a client'));
      return;
    }
    client.forwardOut('127.0.0.1', 0, host.address, host.ssh.port, (error, stream) => {
      if (error !== undefined && error !== null) {
        const failure = new ConnectError(host.name, 'unreachable', `the jump host cannot reach ${endpoint(host)}: ${error.message}`);
        if (isTransientConnectFailure(error)) transientFailures.add(failure);
        reject(failure);
      } else resolve(stream);
    });
  });
}

/** The same failure, said to have happened at or through the jump host; as retryable as it was. */
function throughJumpHost(error: unknown, prefix: string): unknown {
  if (!(error instanceof ConnectError) || error.detail.startsWith('the jump host')) return error;
  const wrapped = new ConnectError(error.host, error.reason, `${prefix}${error.detail}`);
  if (transientFailures.has(error)) transientFailures.add(wrapped);
  return wrapped;
}

/** One SSH session to `host` (over `sock` when given: a channel through a jump host). */
async function openSsh(host: Host, sock: ClientChannel | undefined): Promise<NodeSSH> {
  const credentials = await loadCredentials(host);
  const knownHostsFile = host.ssh.knownHosts;
  const hostName = knownHostsName(host.address, host.ssh.port);
  const policy = host.ssh.hostKeyChecking;
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
      if (policy === 'off') {
        verify(true);
        return;
      }
      Promise.resolve()
        .then(() => verifyHostKey({ file: knownHostsFile, host: host.name, hostName, key: hostKeyFromBlob(blob), policy }))
        .then(
          () => verify(true),
          (error: unknown) => {
            hostKeyError = error;
            verify(false);
          },
        );
    },
  };
  if (sock !== undefined) config.sock = sock;
  if (policy !== 'off') {
    const algorithms = await hostKeyPreference(knownHostsFile, hostName);
    if (algorithms !== null) config.algorithms = { serverHostKey: algorithms };
  }

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
  } catch (error) {
    ssh.dispose();
    const failure = connectFailure(host, credentials.description, hostKeyError ?? error);
    if (hostKeyError === undefined && isTransientConnectFailure(error)) transientFailures.add(failure);
    throw failure;
  }
  return ssh;
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
