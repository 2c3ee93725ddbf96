// Plays: a playbook's `up`/`down` as plays that run one after the other, each on its hosts.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { loadPlaybook } from '../../../src/engine/playbook.js';
import { selectHosts, type PreparedPlay, type PreparedTask, type Registered } from '../../../src/engine/prepare.js';
import { runPlays } from '../../../src/engine/run.js';
import type { Host } from '../../../src/inventory/types.js';
import { modules } from '../../../src/modules/index.js';
import { FakeHost, kvModule, kvTask } from './fake-host.js';

const silent = { forks: 10, check: false, progress: 'silent' } as const;

function readFrom(files: Record<string, string>): (file: string) => Promise<string> {
  return async (file) => {
    const text = files[file];
    if (text === undefined) throw new Error(`no ${file}`);
    return text;
  };
}

const task = (name: string): string => `      - name: ${name}\n        module: sysctl\n        params: { name: net.ipv4.ip_forward, value: "1" }\n`;

describe('loadPlaybook with plays', () => {
  it('reads plays with their hosts, in order, and a plain task list as one play on all hosts', async () => {
    const text = [
      'name: t',
      'up:',
      '  - play: Store',
      '    hosts: kv',
      '    any_errors_fatal: true',
      '    tasks:',
      task('store'),
      '  - play: Clients',
      '    hosts: all',
      '    tasks:',
      task('client'),
      'down:',
      '  - name: back',
      '    module: sysctl',
      '    params: { name: net.ipv4.ip_forward, value: "1", state: absent }',
    ].join('\n');
    const playbook = await loadPlaybook('/p/t.yaml', modules, readFrom({ '/p/t.yaml': text }));
    expect(playbook.plays.up.map((p) => [p.name, p.hosts, p.anyErrorsFatal, p.tasks.map((t) => t.name)])).toEqual([
      ['Store', 'kv', true, ['store']],
      ['Clients', 'all', false, ['client']],
    ]);
    expect(playbook.plays.down.map((p) => [p.name, p.hosts, p.tasks.map((t) => t.name)])).toEqual([['', 'all', ['back']]]);
  });

  it('refuses a list that mixes plays and tasks, pointing at the list', async () => {
    const text = ['name: t', 'up:', '  - play: Store', '    hosts: kv', '    tasks:', task('store'), '  - name: loose', '    module: sysctl', '    params: { name: a, value: "1" }', 'down:', task('x').replace(/^ {4}/gm, '')].join('\n');
    const error = await loadPlaybook('/p/t.yaml', modules, readFrom({ '/p/t.yaml': text })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map((p) => [p.field, p.line, p.message])).toEqual([
      ['up', 3, expect.stringContaining('mixes plays and tasks')],
    ]);
  });
});

describe('selectHosts', () => {
  const host = (name: string, groups: string[]): Host => ({ name, groups }) as unknown as Host;
  const hosts = [host('a', []), host('b', ['kv']), host('c', ['kv', 'edge'])];
  it.each([
    ['all', ['a', 'b', 'c']],
    ['first', ['a']],
    ['kv', ['b', 'c']],
    ['nobody', []],
  ])('%s selects %j', (selector, names) => {
    expect(selectHosts(hosts, selector).map((h) => h.name)).toEqual(names);
  });
});

function play(name: string, tasks: Record<string, ReturnType<typeof kvTask>[]>, anyErrorsFatal = false): PreparedPlay {
  return { name, anyErrorsFatal, tasks: new Map(Object.entries(tasks)) };
}

describe('runPlays', () => {
  it('runs each play after the one before has finished on all its hosts', async () => {
    const hosts = new Map(['a', 'b'].map((name) => [name, new FakeHost(name)]));
    const result = await runPlays(
      [play('first', { a: [kvTask('one', { key: 'k1', value: '1' })] }), play('all', { a: [kvTask('two', { key: 'k2', value: '2' })], b: [kvTask('two', { key: 'k2', value: '2' })] })],
      { connections: hosts },
      silent,
    );
    expect([...result].map(([name, host]) => [name, host.tasks.map((t) => `${t.task}:${t.status}`)])).toEqual([
      ['a', ['one:changed', 'two:changed']],
      ['b', ['two:changed']],
    ]);
  });

  it('keeps a host that failed out of the later plays, the others going on', async () => {
    const hosts = new Map(['a', 'b'].map((name) => [name, new FakeHost(name)]));
    const result = await runPlays(
      [
        play('setup', { a: [kvTask('breaks', { key: 'k', value: '1', steps: ['fail 1 no'] })], b: [kvTask('fine', { key: 'k', value: '1' })] }),
        play('then', { a: [kvTask('later', { key: 'l', value: '1' })], b: [kvTask('later', { key: 'l', value: '1' })] }),
      ],
      { connections: hosts },
      silent,
    );
    expect(result.get('a')?.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['breaks:failed']);
    expect(result.get('b')?.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['fine:changed', 'later:changed']);
    expect(hosts.get('a')?.store.has('l')).toBe(false);
  });

  it('stops every host after a play with any_errors_fatal fails on one, and says why', async () => {
    const hosts = new Map(['a', 'b'].map((name) => [name, new FakeHost(name)]));
    const result = await runPlays(
      [
        play('engines checked', { a: [kvTask('check', { key: 'k', value: '1', steps: ['fail 1 too old'] })], b: [kvTask('check', { key: 'k', value: '1' })] }, true),
        play('daemons', { a: [kvTask('set', { key: 'd', value: '1' })], b: [kvTask('set', { key: 'd', value: '1' })] }),
      ],
      { connections: hosts },
      silent,
    );
    expect(hosts.get('b')?.store.has('d')).toBe(false);
    expect(result.get('b')?.failure).toEqual({ task: 'daemons', reason: "not run: a failed in 'engines checked', which must succeed on every host before the run goes on" });
    expect(result.get('a')?.failure?.task).toBe('check');
  });
});

describe('runPlays: registered outputs', () => {
  // A "token" module: the value in the store is its output, a secret.
  const tokenModule = { ...kvModule, name: 'token', outputs: (_p: unknown, facts: { value: string }) => ({ token: facts.value }), secretOutputs: ['token'] };
  const tokenTask = (value: string): PreparedTask => ({ name: 'make token', module: tokenModule, params: kvModule.params.parse({ key: 'tok', value }), register: 'made' });

  it('hands what a play registered to the later plays, prepared again, and keeps it out of results and shown steps', async () => {
    // The manager already holds its token (a swarm made it): reading it shows nothing.
    const hosts = new Map([['a', new FakeHost('a', { tok: 'SWMTKN-secret-1' })], ['b', new FakeHost('b')]]);
    const asked: Registered[] = [];
    const later = (registered: Registered): PreparedPlay => {
      const token = String(registered.get('made')?.get('a')?.token ?? 'unknown');
      return play('join', { b: [kvTask('join', { key: 'joined', value: token })] });
    };
    const first = play('init', { a: [tokenTask('SWMTKN-secret-1')] });
    const secrets: string[] = [];
    const result = await runPlays([first, later(new Map())], { connections: hosts }, {
      ...silent,
      prepare: (registered) => {
        asked.push(new Map(registered));
        return [first, later(registered)];
      },
      onSecret: (secret) => secrets.push(secret),
    });
    expect(hosts.get('b')?.store.get('joined')).toBe('SWMTKN-secret-1');
    expect(asked).toHaveLength(1);
    expect(secrets).toEqual(['SWMTKN-secret-1']);
    const shown = JSON.stringify([...result.values()]);
    expect(shown).not.toContain('SWMTKN-secret-1');
    expect(shown).toContain('[redacted]');
  });
});

describe('runPlays: an unreachable host', () => {
  it('does not stop the others, even in a play with any_errors_fatal', async () => {
    const hosts = new Map([['a', new FakeHost('a')]]);
    const result = await runPlays(
      [
        play('engines', { a: [kvTask('check', { key: 'k', value: '1' })], b: [kvTask('check', { key: 'k', value: '1' })] }, true),
        play('daemons', { a: [kvTask('set', { key: 'd', value: '1' })], b: [kvTask('set', { key: 'd', value: '1' })] }),
      ],
      { connections: hosts, unreachable: new Map([['b', 'connect ETIMEDOUT']]) },
      silent,
    );
    expect(hosts.get('a')?.store.get('d')).toBe('1');
    expect(result.get('b')).toMatchObject({ unreachable: true, tasks: [] });
  });
});
