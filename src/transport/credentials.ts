// The credentials meshctl logs in with: the inventory's private key, or else the running ssh-agent.
// Paths come resolved (\`~\`, relative to the inventory) from the inventory loader.
import { readFile, stat } from 'node:fs/promises';
import type { Config } from 'node-ssh';
import { ConnectError } from '../errors.js';
import type { Host } from '../inventory/types.js';
import { endpoint, errorText } from './endpoint.js';

export interface Credentials {
  config: Pick<Config, 'privateKey' | 'agent'>;
  /** Names the key or agent for messages; never key material. */
  description: string;
}

export async function loadCredentials(host: Host): Promise<Credentials> {
  if (host.ssh.key !== undefined) {
    const path = host.ssh.key;
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
