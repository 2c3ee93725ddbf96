// What an inventory refers to outside itself, checked when it is loaded so that no host is
// connected before all of it is known to be usable: each ssh.key (and a jump host's, also those
// ssh config gave) is read and parsed as SSH will, each known_hosts file is readable or can be
// created (accept-new creates it and its directory; strict needs it to exist; off reads none), each become_password_env variable is set, and an SSH agent is there for hosts
// without a key. Each problem is reported once, where the setting was written.
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { InputProblem } from '../errors.js';
import { hostLayers, settingSource, type LayeredSetting } from './layers.js';
import { formatFieldPath, type FieldPath } from './locate.js';
import type { RawInventory } from './schema.js';
import type { Host, HostKeyPolicy } from './types.js';

type ProblemAt = (fieldPath: FieldPath, message: string) => InputProblem;

export interface ReferenceInput {
  raw: RawInventory;
  hosts: readonly Host[];
  env: NodeJS.ProcessEnv;
  problemAt: ProblemAt;
}

export async function checkReferences({ raw, hosts, env, problemAt }: ReferenceInput): Promise<InputProblem[]> {
  // One check per place a setting was written and value it resolved to (the same relative
  // path written at the top level is one file for every host).
  const checks = new Map<string, Promise<InputProblem | undefined>>();
  const once = (setting: LayeredSetting, hostIndex: number, value: string, check: () => Promise<string | undefined>): void => {
    const source = settingSource(hostLayers(raw, hostIndex), setting);
    const id = `${source === undefined ? '(default)' : formatFieldPath(source)}\0${value}`;
    if (checks.has(id)) return;
    const fieldPath = source ?? setting.split('.');
    checks.set(
      id,
      check().then((message) => (message === undefined ? undefined : problemAt(fieldPath, source === undefined ? `not set, so the default is used: ${message}` : message))),
    );
  };

  // A key or jump host that ssh config gave is reported at the host, saying so.
  const fromConfig = (setting: LayeredSetting, i: number, value: string, what: string, check: () => Promise<string | undefined>): void => {
    if (settingSource(hostLayers(raw, i), setting) !== undefined) once(setting, i, value, check);
    else {
      const id = `hosts[${i}]\0${setting}\0${value}`;
      if (!checks.has(id)) checks.set(id, check().then((message) => (message === undefined ? undefined : problemAt(['hosts', i], `${what} from ssh config: ${message}`))));
    }
  };

  hosts.forEach((host, i) => {
    if (host.ssh.key !== undefined) {
      const key = host.ssh.key;
      fromConfig('ssh.key', i, key, 'IdentityFile', () => keyFileProblem(key));
    }
    const bastionKey = host.ssh.bastion?.key;
    if (bastionKey !== undefined && bastionKey !== host.ssh.key) {
      fromConfig('ssh.bastion', i, bastionKey, 'the jump host\'s IdentityFile', () => keyFileProblem(bastionKey));
    }
    if (host.ssh.hostKeyChecking !== 'off') {
      const policy = host.ssh.hostKeyChecking;
      once('ssh.known_hosts', i, `${policy} ${host.ssh.knownHosts}`, () => knownHostsProblem(host.ssh.knownHosts, policy));
    }
    if (host.becomePasswordEnv !== undefined) {
      const name = host.becomePasswordEnv;
      once('become_password_env', i, name, async () =>
        env[name] === undefined || env[name] === '' ? `${name} is not set in the environment: export it before running meshctl` : undefined,
      );
    }
  });
  const problems = (await Promise.all(checks.values())).filter((p): p is InputProblem => p !== undefined);
  const agent = await agentProblem(hosts, env);
  if (agent !== undefined) problems.push(problemAt(['ssh', 'key'], agent));
  return problems;
}

/** Why SSH could not use the file as a private key, or undefined when it can. */
export async function keyFileProblem(file: string): Promise<string | undefined> {
  const found = await stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error) return fileError(file, found);
  if (found.isDirectory()) return `${file} is a directory, not a key file`;
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    return fileError(file, error as NodeJS.ErrnoException);
  }
  const parsed = ssh2.utils.parseKey(content);
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      return `${file} is protected by a passphrase, which meshctl cannot ask for: load it into ssh-agent (ssh-add ${file}) and leave ssh.key out`;
    }
    return `${file} is not a private key SSH can use (${parsed.message})`;
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === undefined || !first.isPrivateKey()) {
    const privateFile = file.endsWith('.pub') ? ` (${file.slice(0, -'.pub'.length)}?)` : '';
    return `${file} is a public key: ssh.key names the private key${privateFile}`;
  }
  return undefined;
}

/**
 * Why the known_hosts file could not be read or created: an existing one must be readable; a
 * missing one is an error under `strict`, else fine (the first connection creates it, directories included) when its nearest
 * existing ancestor is a directory that can be written.
 */
export async function knownHostsProblem(file: string, policy: HostKeyPolicy = 'accept-new'): Promise<string | undefined> {
  const found = await stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (policy === 'strict' && found instanceof Error && (found.code === 'ENOENT' || found.code === 'ENOTDIR')) {
    return `no such file: ${file}, and ssh.host_key_checking: strict accepts only host keys already in it (add them with ssh-keyscan, or use accept-new)`;
  }
  if (!(found instanceof Error)) {
    if (found.isDirectory()) return `${file} is a directory, not a known_hosts file`;
    return access(file, constants.R_OK).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => fileError(file, error),
    );
  }
  if (found.code !== 'ENOENT' && found.code !== 'ENOTDIR') return fileError(file, found);
  let ancestor = path.dirname(file);
  for (;;) {
    const parent = await stat(ancestor).catch((error: NodeJS.ErrnoException) => error);
    if (!(parent instanceof Error)) {
      if (!parent.isDirectory()) return `${file} cannot be created: ${ancestor} is a file, not a directory`;
      return access(ancestor, constants.W_OK | constants.X_OK).then(
        () => undefined,
        () => `${file} cannot be created: no permission to write in ${ancestor}`,
      );
    }
    if (parent.code !== 'ENOENT' && parent.code !== 'ENOTDIR') return fileError(ancestor, parent);
    const up = path.dirname(ancestor);
    if (up === ancestor) return `${file} cannot be created: no directory of its path exists`;
    ancestor = up;
  }
}

async function agentProblem(hosts: readonly Host[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const keyless = hosts.filter((host) => host.ssh.key === undefined || (host.ssh.bastion !== undefined && host.ssh.bastion.key === undefined)).map((host) => host.name);
  if (keyless.length === 0) return undefined;
  const subject = keyless.length === hosts.length ? 'not set' : `not set for ${keyless.join(', ')}`;
  const socket = env['SSH_AUTH_SOCK'];
  if (socket === undefined || socket === '') {
    return `${subject}, so the SSH agent is used, but SSH_AUTH_SOCK is not set: set ssh.key, or start ssh-agent and export SSH_AUTH_SOCK`;
  }
  const isSocket = await stat(socket).then((s) => s.isSocket(), () => false);
  return isSocket ? undefined : `${subject}, so the SSH agent is used, but SSH_AUTH_SOCK=${socket} is not a running agent's socket: set ssh.key, or restart ssh-agent`;
}

function fileError(file: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return `no such file: ${file}`;
    case 'ENOTDIR':
      return `no such file: ${file} (a part of its path is a file, not a directory)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${file}: permission denied`;
    default:
      return `cannot read ${file}: ${error.code ?? error.message}`;
  }
}
