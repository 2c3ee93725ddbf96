// A host's connection settings: what the inventory says (nearest layer wins), else what the
// OpenSSH client config says for its address (HostName, User, Port, IdentityFile, ProxyJump),
// else meshctl's defaults. E.g. a host `address: web1` with `Host web1\n HostName 10.0.0.5\n User ops`
// in ~/.ssh/config and no ssh.user connects to 10.0.0.5 as ops.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { FieldProblem } from '../errors.js';
import { settingSource, type SettingsLayer } from './layers.js';
import type { FieldPath } from './locate.js';
import type { RawBastion, RawSsh } from './schema.js';
import { parseProxyJump, parseSshConfig, portNumber, sshConfigFor, type ParsedSshConfig, type SshConfigEntry } from './ssh-config.js';
import type { Bastion, SshSettings } from './types.js';

export const DEFAULT_SSH = {
  user: 'root',
  port: 22,
  known_hosts: '~/.ssh/known_hosts',
  config: '~/.ssh/config',
  host_key_checking: 'accept-new',
  connect_timeout: 10,
  command_timeout: 900,
} as const;

export interface ResolvedConnection {
  /** Where SSH connects: ssh config's HostName for the inventory's address, else that address. */
  address: string;
  ssh: SshSettings;
}

/** Reads each ssh config file once per load; a missing default file is no config. */
export class SshConfigFiles {
  private readonly read = new Map<string, ParsedSshConfig | { problem: string } | undefined>();

  get(file: string, explicit: boolean): ParsedSshConfig | { problem: string } | undefined {
    const key = `${explicit ? 'explicit' : 'default'}\0${file}`;
    if (!this.read.has(key)) this.read.set(key, readConfig(file, explicit));
    return this.read.get(key);
  }
}

function readConfig(file: string, explicit: boolean): ParsedSshConfig | { problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return explicit ? { problem: `no such file: ${file}` } : undefined;
    if (code === 'EISDIR') return { problem: `${file} is a directory, not an ssh config file` };
    return { problem: `cannot read ${file}: ${code === 'EACCES' ? 'permission denied' : (code ?? String(error))}` };
  }
  try {
    return parseSshConfig(text);
  } catch (error) {
    return { problem: `cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The settings of the host with these layers; problems are reported where the setting was
 * written (or at the host, for what its ssh config says).
 */
export function resolveConnection(layers: readonly SettingsLayer[], address: string, baseDir: string, files: SshConfigFiles): { resolved: ResolvedConnection; problems: FieldProblem[] } {
  const ssh: RawSsh = Object.assign({}, ...layers.map((layer) => layer.settings.ssh ?? {}));
  const hostPath = layers[layers.length - 1]?.path ?? [];
  const problems: FieldProblem[] = [];
  const configSetting = ssh.config ?? DEFAULT_SSH.config;
  const configFile = configSetting === false ? undefined : resolvePath(configSetting, baseDir);
  let config: ParsedSshConfig | undefined;
  if (configFile !== undefined) {
    const read = files.get(configFile, ssh.config !== undefined);
    if (read !== undefined && 'problem' in read) problems.push({ path: settingSource(layers, 'ssh.config') ?? ['ssh', 'config'], message: read.problem });
    else config = read;
  }
  const entry: SshConfigEntry = config === undefined ? { identityFiles: [] } : sshConfigFor(config, address);
  const fromConfig = (field: string): string => `${configFile ?? 'ssh config'} (${field} for Host ${address})`;

  const port = ssh.port ?? configPort(entry.port, fromConfig('Port'), hostPath, problems) ?? DEFAULT_SSH.port;
  const settings: SshSettings = {
    user: ssh.user ?? entry.user ?? DEFAULT_SSH.user,
    port,
    knownHosts: resolvePath(ssh.known_hosts ?? DEFAULT_SSH.known_hosts, baseDir),
    hostKeyChecking: ssh.host_key_checking ?? DEFAULT_SSH.host_key_checking,
    connectTimeoutMs: (ssh.connect_timeout ?? DEFAULT_SSH.connect_timeout) * 1000,
    commandTimeoutMs: (ssh.command_timeout ?? DEFAULT_SSH.command_timeout) * 1000,
  };
  const key = ssh.key !== undefined ? resolvePath(ssh.key, baseDir) : firstExisting(entry.identityFiles);
  if (key !== undefined) settings.key = key;

  const bastion =
    ssh.bastion !== undefined
      ? resolveBastion(ssh.bastion, config, settings, baseDir, hostPath, problems, fromConfig)
      : entry.proxyJump !== undefined
        ? bastionFromProxyJump(entry.proxyJump, config, settings, hostPath, problems, fromConfig('ProxyJump'))
        : undefined;
  if (bastion !== undefined) settings.bastion = bastion;
  return { resolved: { address: entry.hostName ?? address, ssh: settings }, problems };
}

function configPort(text: string | undefined, where: string, hostPath: FieldPath, problems: FieldProblem[]): number | undefined {
  if (text === undefined) return undefined;
  const port = portNumber(text);
  if (port === undefined) problems.push({ path: hostPath, message: `${where}: '${text}' is not a port (1-65535)` });
  return port;
}

function resolveBastion(
  raw: RawBastion,
  config: ParsedSshConfig | undefined,
  target: SshSettings,
  baseDir: string,
  hostPath: FieldPath,
  problems: FieldProblem[],
  fromConfig: (field: string) => string,
): Bastion {
  const entry = config === undefined ? { identityFiles: [] } : sshConfigFor(config, raw.address);
  const bastion: Bastion = {
    address: entry.hostName ?? raw.address,
    port: raw.port ?? configPort(entry.port, fromConfig(`Port of the bastion ${raw.address}`), hostPath, problems) ?? DEFAULT_SSH.port,
    user: raw.user ?? entry.user ?? target.user,
  };
  const key = raw.key !== undefined ? resolvePath(raw.key, baseDir) : (firstExisting(entry.identityFiles) ?? target.key);
  if (key !== undefined) bastion.key = key;
  return bastion;
}

function bastionFromProxyJump(
  value: string,
  config: ParsedSshConfig | undefined,
  target: SshSettings,
  hostPath: FieldPath,
  problems: FieldProblem[],
  where: string,
): Bastion | undefined {
  const jump = parseProxyJump(value);
  if (jump === 'none') return undefined;
  if ('hops' in jump) {
    problems.push({ path: hostPath, message: `${where}: '${value}' has ${jump.hops.length} hops; meshctl connects through one jump host (set ssh.bastion to the last one)` });
    return undefined;
  }
  const port = jump.port === undefined ? undefined : portNumber(jump.port);
  if (jump.port !== undefined && port === undefined) problems.push({ path: hostPath, message: `${where}: '${jump.port}' is not a port (1-65535)` });
  // The jump host's own Host block applies to it, as ssh reads it.
  const raw: RawBastion = { address: jump.address };
  if (jump.user !== undefined) raw.user = jump.user;
  if (port !== undefined) raw.port = port;
  return resolveBastion(raw, config, target, '/', hostPath, problems, () => where);
}

function firstExisting(files: readonly string[]): string | undefined {
  return files.find((file) => existsSync(file));
}

/** `~` is the user's home; relative paths are relative to the inventory file. */
export function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}
