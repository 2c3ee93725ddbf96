// What OpenSSH's client config says about a host, read with the `ssh-config` parser (Host
// patterns, first value wins, as ssh does): HostName, User, Port, IdentityFile, ProxyJump.
// E.g. sshConfigFor(parseSshConfig('Host web-*\n  User deploy\n'), 'web-1') → { user: 'deploy', identityFiles: [] }.
// `Match exec` is never run (a config is data here) and `Include` is not followed.
import { homedir, userInfo } from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';

export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  /** As written; checked by the caller, which knows where to report it. */
  port?: string;
  /** In the order given, `~` and %d %h %r %u %% expanded; OpenSSH skips those that do not exist. */
  identityFiles: string[];
  proxyJump?: string;
}

export type ParsedSshConfig = SSHConfig;

export function parseSshConfig(text: string): ParsedSshConfig {
  return SSHConfig.parse(text);
}

export function sshConfigFor(config: ParsedSshConfig, alias: string): SshConfigEntry {
  const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
  const one = (name: string): string | undefined => {
    const value = computed[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const hostName = one('hostname')?.replaceAll('%h', alias).replaceAll('%%', '%');
  const user = one('user');
  const files = computed['identityfile'];
  const tokens = { h: hostName ?? alias, r: user ?? '', d: homedir(), u: localUser() };
  const entry: SshConfigEntry = { identityFiles: (Array.isArray(files) ? files : files === undefined ? [] : [files]).map((file) => expandPath(file, tokens)) };
  if (hostName !== undefined) entry.hostName = hostName;
  if (user !== undefined) entry.user = user;
  const port = one('port');
  if (port !== undefined) entry.port = port;
  const proxyJump = one('proxyjump');
  if (proxyJump !== undefined) entry.proxyJump = proxyJump;
  return entry;
}

export interface JumpTarget {
  address: string;
  user?: string;
  port?: string;
}

/**
 * ProxyJump's `[user@]host[:port]` (or an ssh:// URI); `none` is no jump. Several hops
 * (`a,b`) are refused by the caller: meshctl connects through one.
 */
export function parseProxyJump(value: string): JumpTarget | 'none' | { hops: string[] } {
  const text = value.trim();
  if (text.toLowerCase() === 'none') return 'none';
  const hops = text.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '');
  if (hops.length !== 1) return { hops };
  const hop = (hops[0] ?? '').replace(/^ssh:\/\//, '');
  const at = hop.lastIndexOf('@');
  const user = at === -1 ? undefined : hop.slice(0, at);
  const rest = at === -1 ? hop : hop.slice(at + 1);
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  const colon = rest.lastIndexOf(':');
  const address = bracketed !== null ? (bracketed[1] ?? '') : colon === -1 ? rest : rest.slice(0, colon);
  const port = bracketed !== null ? bracketed[2] : colon === -1 ? undefined : rest.slice(colon + 1);
  const target: JumpTarget = { address };
  if (user !== undefined && user !== '') target.user = user;
  if (port !== undefined) target.port = port;
  return target;
}

/** A Port value as a number, or undefined when it is not one. */
export function portNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

function expandPath(file: string, tokens: Record<'h' | 'r' | 'd' | 'u', string>): string {
  const expanded = file.replace(/%([%hrdu])/g, (_match, token: string) => (token === '%' ? '%' : tokens[token as keyof typeof tokens]));
  if (expanded === '~' || expanded.startsWith('~/')) return path.join(homedir(), expanded.slice(1));
  return expanded;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? '';
  }
}
