import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openSessions, withReachableSessions, withSessions, type LockOptions, type NamedHost } from '../../../src/engine/sessions.js';
import { ConnectError, HostLockedError } from '../../../src/errors.js';
import { takeRunLock, type RunLock } from '../../../src/transport/run-lock.js';
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
    expect(outcome).toEqual({ connected: false, unreachable: new Map([['b', 'no route to host']]) });
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

describe('withReachableSessions', () => {
  it('hands on the hosts it reached, in order, names the others with the reason, and closes all after', async () => {
    const connector = fakeConnector({ b: new ConnectError('b', 'timeout', 'no SSH session with 10.0.0.2:22 within 3s') });
    const seen = await withReachableSessions(hosts, connector.connect, { forks: 10 }, async (sessions) => ({
      connected: [...sessions.connections.keys()],
      unreachable: new Map(sessions.unreachable),
    }));
    expect(seen).toEqual({ connected: ['a', 'c', 'd'], unreachable: new Map([['b', 'no SSH session with 10.0.0.2:22 within 3s']]) });
    expect(connector.opened.every((conn) => conn.closed)).toBe(true);
  });
});

// Each FakeHost runs a started command in a directory of its host's name, so this relative
// path is one lock file per host, shared by every session to that host.
const LOCK_FILE = 'meshctl.lock';
let runs = 0;
/** Lock options for a run of its own (named in the lock file), waiting `timeoutSeconds`. */
function lockFor(timeoutSeconds: number, onWait?: LockOptions['onWait']): LockOptions {
  return { timeoutSeconds, holder: `run ${++runs}`, path: LOCK_FILE, ...(onWait === undefined ? {} : { onWait }) };
}
/** Another run holding `host`'s lock, from a session of its own. */
const holdHost = (host: string, holder: string, waitSeconds = 0): Promise<RunLock> =>
  takeRunLock(new FakeHost(host), { holder, waitSeconds, path: LOCK_FILE });
/** Fresh host names, so that no test sees another's locks. */
let sets = 0;
const freshHosts = (): NamedHost[] => ['a', 'b', 'c', 'd'].map((name) => ({ name: `${name}${++sets}` }));

describe('withReachableSessions: the run lock', () => {
  it("takes every host's lock before handing it on, and lets go of them when done", async () => {
    const names = freshHosts();
    const lock = lockFor(5);
    await withReachableSessions(names, fakeConnector().connect, { forks: 10, lock }, async (sessions) => {
      expect(sessions.locks.size).toBe(4);
      for (const { name } of names) await expect(holdHost(name, 'intruder')).rejects.toEqual(new HostLockedError(name, lock.holder, 0));
    });
    for (const { name } of names) await (await holdHost(name, 'after')).release();
  });

  it('waits for a host that another run holds, saying who holds it, and runs it once let go', async () => {
    const names = freshHosts();
    const other = await holdHost(names[1]!.name, 'meshctl pid 9 from ops since T');
    const told: [string, string][] = [];
    const onWait = (host: string, holder: string): void => {
      told.push([host, holder]);
      void other.release();
    };
    const connected = await withReachableSessions(names, fakeConnector().connect, { forks: 10, lock: lockFor(20, onWait) }, async (sessions) => [...sessions.connections.keys()]);
    expect(told).toEqual([[names[1]!.name, 'meshctl pid 9 from ops since T']]);
    expect(connected).toEqual(names.map((host) => host.name));
  });

  it('leaves out a host still held at the end of the wait, with who holds it, and runs the others', async () => {
    const names = freshHosts();
    const held = names[2]!.name;
    const other = await holdHost(held, 'meshctl pid 9 from ops since T');
    const connector = fakeConnector();
    const seen = await withReachableSessions(names, connector.connect, { forks: 10, lock: lockFor(1) }, async (sessions) => ({
      connected: [...sessions.connections.keys()],
      notLocked: new Map(sessions.notLocked),
    }));
    expect(seen).toEqual({
      connected: names.map((host) => host.name).filter((name) => name !== held),
      notLocked: new Map([[held, 'locked by meshctl pid 9 from ops since T (still locked after waiting 1s, --lock-timeout)']]),
    });
    expect(connector.opened.every((conn) => conn.closed)).toBe(true);
    await other.release();
  });

  it('never holds a later host while it waits for an earlier one, so two runs cannot wait for each other', async () => {
    const [first, second] = freshHosts().map((host) => host.name);
    // The other run holds the first host and, once this run waits for it, wants the second.
    const other = await holdHost(first!, 'other run');
    let otherGotSecond: Promise<RunLock | unknown> | undefined;
    const onWait = (): void => {
      otherGotSecond = holdHost(second!, 'other run', 5).then(async (lock) => {
        await other.release();
        await lock.release();
        return lock;
      }, (error: unknown) => error);
    };
    const connected = await withReachableSessions([{ name: first! }, { name: second! }], fakeConnector().connect, { forks: 10, lock: lockFor(20, onWait) }, async (sessions) => [...sessions.connections.keys()]);
    expect(await otherGotSecond).not.toBeInstanceOf(Error);
    expect(connected).toEqual([first, second]);
  });

  it('lets two runs started together both run every host, one after the other', async () => {
    const names = freshHosts();
    const spans: { run: number; from: number; to: number }[] = [];
    const run = (index: number) =>
      withReachableSessions(names, fakeConnector().connect, { forks: 10, lock: lockFor(20) }, async (sessions) => {
        const from = Date.now();
        await sleep(200);
        spans.push({ run: index, from, to: Date.now() });
        return sessions.connections.size;
      });
    expect(await Promise.all([run(1), run(2)])).toEqual([4, 4]);
    const [earlier, later] = [...spans].sort((x, y) => x.from - y.from);
    expect(later!.from).toBeGreaterThanOrEqual(earlier!.to);
  });
});
