import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openSessions, withSessions, type NamedHost } from '../../../src/engine/sessions.js';
import { ConnectError } from '../../../src/errors.js';
import { FakeHost } from './fake-host.js';

const hosts: NamedHost[] = ['a', 'b', 'c', 'd'].map((name) => ({ name }));

/** A connector that opens FakeHosts, except where a host name maps to an error to throw. */
function fakeConnector(failures: Record<string, Error> = {}) {
  const opened: FakeHost[] = [];
  let running = 0;
  let peak = 0;
  const connect = async (host: NamedHost): Promise<FakeHost> => {
    running++;
    peak = Math.max(peak, running);
    // The failing host answers last, so that the others are open by then.
    await sleep(failures[host.name] === undefined ? 1 : 10);
    running--;
    const failure = failures[host.name];
    if (failure !== undefined) throw failure;
    const conn = new FakeHost(host.name);
    opened.push(conn);
    return conn;
  };
  return { connect, opened, peak: () => peak };
}

describe('withSessions', () => {
  it('closes the connections already open when a connector throws a bug, and throws it', async () => {
    const connector = fakeConnector({ c: new TypeError("Cannot read properties of undefined (reading 'key')") });
    let ran = false;
    const outcome = withSessions(hosts, connector.connect, { forks: 10 }, async () => {
      ran = true;
    });
    await expect(outcome).rejects.toBeInstanceOf(TypeError);
    expect(ran).toBe(false);
    expect(connector.opened.map((conn) => conn.host).sort()).toEqual(['a', 'b', 'd']);
    expect(connector.opened.every((conn) => conn.closed)).toBe(true);
  });

  it('runs nothing when a host is unreachable, names it, and closes the others', async () => {
    const connector = fakeConnector({ b: new ConnectError('b', 'unreachable', 'no route to host') });
    let ran = false;
    const outcome = await withSessions(hosts, connector.connect, { forks: 10 }, async () => {
      ran = true;
    });
    expect(outcome).toEqual({ connected: false, unreachable: new Map([['b', 'b: no route to host']]) });
    expect(ran).toBe(false);
    expect(connector.opened.every((conn) => conn.closed)).toBe(true);
  });

  it('hands every connection to fn and closes them after, also when fn throws', async () => {
    const connector = fakeConnector();
    const outcome = withSessions(hosts, connector.connect, { forks: 10 }, async (connections) => {
      expect([...connections.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
      throw new Error('fn failed');
    });
    await expect(outcome).rejects.toThrow('fn failed');
    expect(connector.opened).toHaveLength(4);
    expect(connector.opened.every((conn) => conn.closed)).toBe(true);
  });
});

describe('openSessions', () => {
  it('connects at most `forks` hosts at once', async () => {
    const connector = fakeConnector();
    const sessions = await openSessions(hosts, connector.connect, { forks: 2 });
    expect(sessions.connections.size).toBe(4);
    expect(connector.peak()).toBe(2);
  });
});
