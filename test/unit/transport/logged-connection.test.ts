// LoggedConnection over the fake host: one start and one end per command, in order and paired by
// id, with what the command really returned; files put; `start`'s end when it is ended; failures
// to connect. And through a run log: a password on a command's stdin or stdout shows as [redacted].
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import type { LogEvent } from '../../../src/logging/events.js';
import { RunLog } from '../../../src/logging/run-log.js';
import type { Connection, ExecOptions, ExecResult } from '../../../src/transport/connection.js';
import { LoggedConnection, loggedConnector } from '../../../src/transport/logged-connection.js';
import { FakeHost } from '../engine/fake-host.js';

function recorded(inner: Connection): { conn: LoggedConnection; events: LogEvent[] } {
  const events: LogEvent[] = [];
  return { conn: new LoggedConnection(inner, (event) => events.push(event)), events };
}

const kinds = (events: LogEvent[]) => events.map((e) => `${e.kind}${'id' in e ? ` #${e.id}` : ''}`);

describe('LoggedConnection', () => {
  it('reports each command as it starts and as it ends, with what it returned', async () => {
    const host = new FakeHost('node1', { color: 'blue' });
    const { conn, events } = recorded(host);
    const got = await conn.execScript('kv get color');
    await conn.exec(['fail', '3', 'no such thing']);
    await conn.putFile('mode-key', 'value', { mode: 0o600 });
    await conn.close();

    expect(host.calls.length).toBe(3);
    expect(kinds(events)).toEqual(['command-started #1', 'command-finished #1', 'command-started #2', 'command-finished #2', 'file-put', 'closed']);
    expect(events[1]).toMatchObject({ host: 'node1', command: { script: 'kv get color' }, code: 0, stdout: got.stdout, stderr: '' });
    expect(got.stdout).toBe('blue\n');
    expect(events[3]).toMatchObject({ command: { argv: ['fail', '3', 'no such thing'] }, code: 3, stderr: 'no such thing\n' });
    expect(events[4]).toMatchObject({ kind: 'file-put', path: 'mode-key', bytes: 5, mode: 0o600 });
    for (const event of events) if ('ms' in event) expect(event.ms).toBeGreaterThanOrEqual(0);
    expect(host.store.get('mode-key')).toBe('value');
  });

  it('reports a command that throws (a timeout, a lost connection) and throws it on', async () => {
    const lost = new ConnectError('node1', 'unreachable', 'the connection was closed');
    const failing: Connection = { host: 'node1', exec: () => Promise.reject(lost), execScript: () => Promise.reject(lost), putFile: () => Promise.reject(lost), start: () => Promise.reject(lost), close: async () => undefined };
    const { conn, events } = recorded(failing);
    await expect(conn.exec(['true'])).rejects.toBe(lost);
    await expect(conn.putFile('/x', 'abc')).rejects.toBe(lost);
    await expect(conn.start(['cat'])).rejects.toBe(lost);
    expect(events.map((e) => e.kind)).toEqual(['command-started', 'command-failed', 'file-put', 'command-started', 'command-failed']);
    expect(events[1]).toMatchObject({ reason: 'the connection was closed' });
    expect(events[2]).toMatchObject({ error: 'the connection was closed', bytes: 3 });
  });

  it('reports a started command when it ends, not before', async () => {
    const { conn, events } = recorded(new FakeHost('node1'));
    const running = await conn.start(['sh', '-c', 'echo ready; cat >/dev/null; echo done']);
    expect(await running.nextLine()).toBe('ready');
    expect(kinds(events)).toEqual(['command-started #1']);
    await running.end();
    await running.exited;
    expect(kinds(events)).toEqual(['command-started #1', 'command-finished #1']);
    expect(events[1]).toMatchObject({ code: 0, stdout: 'ready\ndone\n' });
    await conn.close();
  });

  it('gives the caller stdin to the log, and nothing the wrapped connection adds (sudo -S)', async () => {
    const seen: (ExecOptions | undefined)[] = [];
    const inner: Connection = {
      host: 'node1',
      exec: async (_argv, options) => {
        seen.push(options);
        return { stdout: '', stderr: '', code: 0, signal: null } satisfies ExecResult;
      },
      execScript: () => Promise.reject(new Error('unused')),
      putFile: () => Promise.reject(new Error('unused')),
      start: () => Promise.reject(new Error('unused')),
      close: async () => undefined,
    };
    const { conn, events } = recorded(inner);
    await conn.exec(['cat'], { stdin: 'input', become: true });
    expect(seen).toEqual([{ stdin: 'input', become: true }]);
    expect(events[0]).toEqual({ kind: 'command-started', host: 'node1', id: 1, command: { argv: ['cat'] }, stdin: 'input' });
  });
});

describe('loggedConnector', () => {
  it('reports connections opened and failed, and wraps those opened', async () => {
    const events: LogEvent[] = [];
    const refused = new ConnectError('node2', 'timeout', 'no SSH session with 10.0.0.2:22 within 3s');
    const connect = loggedConnector(async (host: { name: string }) => {
      if (host.name === 'node2') throw refused;
      return new FakeHost(host.name);
    }, (event) => events.push(event));
    const conn = await connect({ name: 'node1' });
    await expect(connect({ name: 'node2' })).rejects.toBe(refused);
    expect(conn).toBeInstanceOf(LoggedConnection);
    await conn.exec(['true']);
    expect(events.map((e) => `${e.kind} ${e.host}`)).toEqual(['connected node1', 'connect-failed node2', 'command-started node1', 'command-finished node1']);
    expect(events[1]).toMatchObject({ reason: 'no SSH session with 10.0.0.2:22 within 3s' });
  });
});

describe('a run log over a fake host', () => {
  const PASSWORD = 's3cret-Pa55';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshctl-logged-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows [redacted] where the password was on stdin, stdout and in the script', async () => {
    const file = path.join(dir, 'run.log');
    const verbose: string[] = [];
    const log = new RunLog({ file, verbose: (line) => verbose.push(line) });
    log.addSecret(PASSWORD);
    const host = new FakeHost('node1', { pw: PASSWORD });
    const conn = new LoggedConnection(host, log.emit);
    // FakeHost ignores stdin; the log still has what the caller gave.
    const result = await conn.execScript(`kv get pw; echo 'typed ${PASSWORD}' >&2`, { stdin: `${PASSWORD}\n` });
    log.close();
    expect(result.stdout).toBe(`${PASSWORD}\n`);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('  stdin (11 bytes):\n    [redacted]');
    expect(text).toContain('  stdout (11 bytes):\n    [redacted]');
    expect(text).toContain('    typed [redacted]');
    expect(verbose.join('\n')).not.toContain(PASSWORD);
    expect(verbose).toEqual([`node1 ✓ ${verbose[0]?.split(' ')[2]} exit 0  sh -c 'kv get pw; echo '\\''typed [redacted]'\\'' >&2'`]);
  });
});
