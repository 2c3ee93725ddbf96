// A home of its own for a test file (the default known_hosts lives there) and a socket standing
// in for ssh-agent (hosts without a key pass), so the machine's own settings never matter.
// Registers its beforeAll/afterAll; read `home.dir` inside tests and hooks.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface IsolatedHome {
  dir: string;
}

export function useIsolatedHome(prefix: string): IsolatedHome {
  const home: IsolatedHome = { dir: '' };
  const saved = { HOME: process.env['HOME'], SSH_AUTH_SOCK: process.env['SSH_AUTH_SOCK'] };
  let agent: net.Server | undefined;
  beforeAll(async () => {
    home.dir = await mkdtemp(path.join(tmpdir(), `meshctl-${prefix}-`));
    await mkdir(path.join(home.dir, '.ssh'));
    const socket = path.join(home.dir, 'agent.sock');
    const server = net.createServer();
    agent = server;
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    process.env['HOME'] = home.dir;
    process.env['SSH_AUTH_SOCK'] = socket;
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise<void>((resolve) => (agent === undefined ? resolve() : agent.close(() => resolve())));
    if (home.dir !== '') await rm(home.dir, { recursive: true, force: true });
  });
  return home;
}
