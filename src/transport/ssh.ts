// The SSH transport: connect(host) opens a node-ssh session checked against known_hosts and
// returns a Connection that runs quoted commands (through sudo when becoming) and puts files.
// Here: connecting and what a failure to connect means; ssh-connection.ts is the session,
// credentials.ts the key or agent, sudo.ts become, remote-scripts.ts the scripts it runs.
import { NodeSSH, type Config } from 'node-ssh';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { ConnectError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { Connection } from './connection.js';
import { loadCredentials } from './credentials.js';
import { endpoint, errorText } from './endpoint.js';
import { hostKeyFromBlob, knownHostsName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';
import { SshConnection } from './ssh-connection.js';

export interface ConnectOptions {
  /** sudo password for become; the caller reads it from the variable named by host.becomePasswordEnv. */
  becomePassword?: string;
}

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
 * Connects to host as host.ssh.user with host.ssh.key (or the agent at $SSH_AUTH_SOCK).
 * Throws ConnectError: 'auth' (no usable key, key rejected), 'unreachable' (refused, DNS, closed),
 * 'timeout' (no session within connectTimeoutMs), 'host-key-changed' (known_hosts mismatch).
 */
export async function connect(host: Host, options: ConnectOptions = {}): Promise<Connection> {
  const credentials = await loadCredentials(host);
  const knownHostsFile = host.ssh.knownHosts;
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
