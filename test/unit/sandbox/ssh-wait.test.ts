// waitForSsh against a local TCP server: true once an SSH banner comes, false when none does in time.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSsh } from '../../../src/sandbox/ssh-wait.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** Listens on a free port of 127.0.0.1 and greets each connection with `greeting`. */
async function listen(greeting: string): Promise<number> {
  const server = createServer((socket) => socket.end(greeting));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('waitForSsh', () => {
  it('is true once sshd greets', async () => {
    expect(await waitForSsh('127.0.0.1', 2_000, await listen('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'))).toBe(true);
  });

  it('is false when what answers is not sshd, or nothing does, within the time', async () => {
    const port = await listen('HTTP/1.1 400 Bad Request\r\n\r\n');
    const started = Date.now();
    expect(await waitForSsh('127.0.0.1', 300, port)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await new Promise((r) => servers.pop()?.close(r));
    expect(await waitForSsh('127.0.0.1', 200, port)).toBe(false);
  });

  it('keeps trying until sshd comes up', async () => {
    // A port that refuses at first: take a free one, free it, and listen on it a little later.
    const port = await listen('');
    await new Promise((r) => servers.pop()?.close(r));
    const sshd = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2p1\r\n'));
    servers.push(sshd);
    setTimeout(() => sshd.listen(port, '127.0.0.1'), 300);
    expect(await waitForSsh('127.0.0.1', 3_000, port)).toBe(true);
  });
});
