// up, down and exec through the CLI on a fleet where a host is missing, failing or locked by
// another run: the SSH connector is replaced by FakeHosts (a host can be made unreachable), the
// module registry by one test module, and the run lock's file by one in each fake machine.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Prompt } from '../../../src/commands/confirm.js';
import { converge as convergeCommand } from '../../../src/commands/converge.js';
import { ConnectError } from '../../../src/errors.js';
import type { Output } from '../../../src/output.js';
import { connect } from '../../../src/transport/ssh.js';
import { takeRunLock, type RunLock } from '../../../src/transport/run-lock.js';
import type { FactName } from '../../../src/preflight/facts.js';
import { FakeHost } from '../engine/fake-host.js';
import { preflightKey } from './fake-preflight.js';
import { useIsolatedHome } from '../isolated-home.js';

vi.mock('../../../src/transport/ssh.js', () => ({ connect: vi.fn() }));
vi.mock('../../../src/modules/index.js', async () => {
  const { recordModule } = await import('./record-module.js');
  return { modules: new Map([[recordModule.name, recordModule]]) };
});
// The lock file of each fake machine: FakeHost runs what it starts in a directory of the host's name.
// Each fake host's preflight facts come from its store (healthy unless a test says otherwise).
vi.mock('../../../src/preflight/facts.js', async (importOriginal) =>
  (await import('./fake-preflight.js')).withFakePreflightCommands(await importOriginal()));
vi.mock('../../../src/transport/run-lock.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/transport/run-lock.js')>();
  return { ...real, takeRunLock: (conn: Parameters<typeof real.takeRunLock>[0], request: Parameters<typeof real.takeRunLock>[1]) => real.takeRunLock(conn, { ...request, path: 'meshctl.lock' }) };
});

const INVENTORY = `vars: { fail: '' }
groups:
  edge: {}
hosts:
  - { name: node1, address: 10.0.0.1, underlay_address: 10.1.0.1, groups: [edge] }
  - { name: node2, address: 10.0.0.2, underlay_address: 10.1.0.2 }
  - { name: node3, address: 10.0.0.3, underlay_address: 10.1.0.3, groups: [edge] }
mesh: { backend: ovs-gre, pool: 172.17.0.0/16, slice_prefix: 18 }
`;
const PLAYBOOK = `name: test
up:
  - name: Record the peers
    module: record
    params: { key: peers, value: "peers {{ mesh.peers }}", fail: "{{ fail }}" }
down:
  - name: Forget the peers
    module: record
    params: { key: peers, value: "none", fail: "{{ fail }}" }
`;
const NO_SESSION = 'no SSH session with 10.0.0.3:22 within 3s';

const home = useIsolatedHome('fleet');
let inventory: string;
let playbook: string;

beforeAll(async () => {
  inventory = path.join(home.dir, 'inventory.yaml');
  playbook = path.join(home.dir, 'playbook.yaml');
  await writeFile(inventory, INVENTORY);
  await writeFile(playbook, PLAYBOOK);
});

/** The fake machines of one test (fresh stores), and which of them cannot be reached. */
let machines: Map<string, FakeHost>;
let down: Set<string>;
let run = 0;
beforeEach(() => {
  run++;
  // Plain progress lines go straight to stdout; what the commands print comes through `output`.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  machines = new Map(['node1', 'node2', 'node3'].map((name) => [name, new FakeHost(name)]));
  down = new Set();
  vi.mocked(connect).mockReset();
  vi.mocked(connect).mockImplementation(async (host) => {
    if (down.has(host.name)) throw new ConnectError(host.name, 'timeout', NO_SESSION);
    const machine = machines.get(host.name);
    if (machine === undefined) throw new Error(`no fake machine ${host.name}`);
    return machine;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(onErr: (text: string) => void = () => undefined): Output & { out: (text: string) => void; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => {
      stderr.push(text);
      onErr(text);
    },
  };
}

async function meshctl(args: string[], output = capture()): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = await main(args, output);
  return { code, stdout: output.stdout.join('\n'), stderr: output.stderr.join('\n') };
}

/** `up` (or down) with the test playbook; --lock-timeout 5 unless given. */
const converge = (action: 'up' | 'down', ...args: string[]) =>
  meshctl([action, inventory, '--playbook', playbook, ...(args.includes('--lock-timeout') ? [] : ['--lock-timeout', '5']), ...args]);

const peersOf = (name: string): string | undefined => machines.get(name)?.store.get('peers');
const PEERS_OF_NODE1 = 'peers ' + JSON.stringify([{ name: 'node2', underlay_address: '10.1.0.2' }, { name: 'node3', underlay_address: '10.1.0.3' }]);

/** Another run holding a machine's lock. */
const holdMachine = (name: string, holder: string): Promise<RunLock> => takeRunLock(new FakeHost(name), { holder, waitSeconds: 0 });

describe('up with a host that cannot be reached', () => {
  it('brings up the others, toward it too, names it with the reason, and exits 3', async () => {
    down.add('node3');
    const result = await converge('up', '--json');
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      hosts: {
        node1: { ok: 0, changed: 1, failed: 0, unreachable: false },
        node2: { ok: 0, changed: 1, failed: 0, unreachable: false },
        node3: { ok: 0, changed: 0, failed: 0, unreachable: true, reason: `could not be reached: ${NO_SESSION}` },
      },
    });
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
    expect(machines.get('node3')?.calls).toEqual([]);
  });

  it('says so in the recap, and a later run with the host back converges it with no extra flag', async () => {
    down.add('node3');
    const partial = await converge('up');
    expect(partial.code).toBe(3);
    expect(partial.stdout).toContain(`node3: could not be reached: ${NO_SESSION}`);
    expect(partial.stdout).toContain('Result: FAILED: node3 could not be reached; the other 2 hosts were brought up.');
    down.clear();
    const again = await converge('up', '--json');
    expect(again.code).toBe(0);
    const hosts = (JSON.parse(again.stdout) as { hosts: Record<string, { changed: number }> }).hosts;
    expect([hosts.node1?.changed, hosts.node2?.changed, hosts.node3?.changed]).toEqual([0, 0, 1]);
  });
});

describe('up with a host whose task fails', () => {
  it('converges the others, names the task and the reason, and exits 1', async () => {
    const failing = path.join(home.dir, `failing-${run}.yaml`);
    await writeFile(failing, INVENTORY.replace("address: 10.0.0.2, underlay_address: 10.1.0.2 }", "address: 10.0.0.2, underlay_address: 10.1.0.2, vars: { fail: 'disk full' } }"));
    const result = await meshctl(['up', failing, '--playbook', playbook, '--json']);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { hosts: Record<string, unknown> };
    expect(body.hosts.node2).toEqual({
      ok: 0,
      changed: 0,
      failed: 1,
      unreachable: false,
      task: 'Record the peers',
      reason: "task 'Record the peers' failed: command failed (exit 1):\n  | disk full",
    });
    expect(body.hosts.node3).toEqual({ ok: 0, changed: 1, failed: 0, unreachable: false });
  });
});

describe('down with a host that cannot be reached', () => {
  it('takes the others down and exits 3', async () => {
    expect((await converge('up')).code).toBe(0);
    down.add('node2');
    const result = await converge('down');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Result: FAILED: node2 could not be reached; the other 2 hosts were taken down.');
    expect([peersOf('node1'), peersOf('node2'), peersOf('node3')]).toEqual(['none', expect.stringContaining('node1'), 'none']);
  });
});

describe('--limit', () => {
  it('runs the hosts and groups named only, with peers over the whole inventory', async () => {
    const result = await converge('up', '--limit', 'edge', '--json');
    expect(result.code).toBe(0);
    expect(Object.keys((JSON.parse(result.stdout) as { hosts: object }).hosts)).toEqual(['node1', 'node3']);
    expect(vi.mocked(connect).mock.calls.map(([host]) => host.name)).toEqual(['node1', 'node3']);
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
    expect(machines.get('node2')?.calls).toEqual([]);
  });

  it('refuses a name that is neither a host nor a group, before connecting', async () => {
    const result = await converge('down', '--limit', 'node1,egde');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('meshctl: --limit: no host or group named egde (did you mean edge?); hosts: node1, node2, node3; groups: edge');
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('the run lock', () => {
  it('makes up wait for a host another run holds, saying who, then run it', async () => {
    const other = await holdMachine('node2', 'meshctl pid 9 from ops since T');
    const output = capture((text) => {
      if (text === 'waiting for node2: locked by meshctl pid 9 from ops since T') void other.release();
    });
    const result = await meshctl(['up', inventory, '--playbook', playbook, '--lock-timeout', '20'], output);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stderr).toBe('waiting for node2: locked by meshctl pid 9 from ops since T');
    expect(peersOf('node2')).toContain('node1');
  });

  it('leaves out a host still held after --lock-timeout, naming the holder, runs the others and exits 1', async () => {
    const other = await holdMachine('node1', 'meshctl pid 9 from ops since T');
    const result = await converge('up', '--lock-timeout', '1', '--json');
    await other.release();
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { hosts: Record<string, unknown> };
    expect(body.hosts.node1).toEqual({
      ok: 0,
      changed: 0,
      failed: 1,
      unreachable: false,
      task: 'run lock',
      reason: "task 'run lock' failed: locked by meshctl pid 9 from ops since T (still locked after waiting 1s, --lock-timeout)",
    });
    expect(peersOf('node1')).toBeUndefined();
    expect(peersOf('node2')).toContain('node1');
  });

  it('is not taken by exec, unless asked with --lock', async () => {
    const other = await holdMachine('node1', 'meshctl pid 9 from ops since T');
    try {
      const free = await meshctl(['exec', '-i', inventory, '--', 'echo hi']);
      expect(free.code).toBe(0);
      const locked = await meshctl(['exec', '-i', inventory, '--lock', '--lock-timeout', '0', '--', 'echo hi']);
      expect(locked.code).toBe(1);
      expect(locked.stdout).toContain('node1 | FAILED: locked by meshctl pid 9 from ops since T (still locked after waiting 0s, --lock-timeout)');
      expect(locked.stdout).toContain('node2 | rc=0 >>\nhi');
    } finally {
      await other.release();
    }
  });
});

describe('exec with a host that cannot be reached', () => {
  it('runs on the others, names it with the reason, and exits 3', async () => {
    down.add('node2');
    const text = await meshctl(['exec', '-i', inventory, '--', 'echo hi']);
    expect(text.code).toBe(3);
    expect(text.stdout.split('\n')).toEqual(['node1 | rc=0 >>', 'hi', `node2 | UNREACHABLE: ${NO_SESSION}`, 'node3 | rc=0 >>', 'hi']);
    expect(text.stderr).toBe('node2 could not be reached; the command ran on 2 other hosts.');
    const body = JSON.parse((await meshctl(['exec', '-i', inventory, '--limit', 'node1,node2', '--json', '--', 'echo hi'])).stdout) as unknown;
    expect(body).toEqual({
      ok: false,
      hosts: {
        node1: { stdout: 'hi\n', stderr: '', code: 0, signal: null, unreachable: false },
        node2: { stdout: '', stderr: '', code: null, signal: null, unreachable: true, reason: NO_SESSION },
      },
    });
  });
});

describe('the last run', () => {
  const lastRunsIn = async (file: string): Promise<unknown> => (JSON.parse(await readFile(file.replace(/\.yaml$/, '.state.json'), 'utf8')) as { last_runs?: unknown }).last_runs;

  it('is recorded per host with its outcome by up and down, not by plan', async () => {
    const fleet = path.join(home.dir, `last-run-${run}.yaml`);
    await writeFile(fleet, INVENTORY.replace("address: 10.0.0.2, underlay_address: 10.1.0.2 }", "address: 10.0.0.2, underlay_address: 10.1.0.2, vars: { fail: 'disk full' } }"));
    down.add('node3');
    const before = Date.now();
    expect((await meshctl(['up', fleet, '--playbook', playbook])).code).toBe(3);
    const runs = (await lastRunsIn(fleet)) as Record<string, { at: string }>;
    expect(runs).toEqual({
      node1: { action: 'up', at: expect.any(String), outcome: 'ok' },
      node2: { action: 'up', at: expect.any(String), outcome: 'failed', task: 'Record the peers' },
      node3: { action: 'up', at: expect.any(String), outcome: 'unreachable' },
    });
    const at = Date.parse(runs.node1?.at ?? '');
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());

    down.clear();
    await meshctl(['plan', fleet, '--playbook', playbook]);
    expect(await lastRunsIn(fleet)).toEqual(runs);
    await meshctl(['down', fleet, '--playbook', playbook, '--limit', 'node3']);
    expect(await lastRunsIn(fleet)).toEqual({ ...runs, node3: { action: 'down', at: expect.any(String), outcome: 'ok' } });
  });
});

describe('plan', () => {
  it('shows what up would run on each host and changes nothing there', async () => {
    const result = await meshctl(['plan', inventory, '--playbook', playbook, '--lock-timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`node1\n  Record the peers: would change: set peers\n    run:\n      kv set peers '${PEERS_OF_NODE1}'`);
    expect(result.stdout).toContain('Result: ok, 3 task(s) would change (check mode: nothing was changed).');
    expect([...machines.values()].map((machine) => machine.changes)).toEqual([[], [], []]);
  });

  it('with --json gives every task per host with its steps', async () => {
    const result = await meshctl(['plan', inventory, '--playbook', playbook, '--lock-timeout', '5', '--limit', 'node1', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      hosts: {
        node1: {
          ok: 0,
          changed: 1,
          failed: 0,
          unreachable: false,
          tasks: [{ task: 'Record the peers', status: 'changed', reason: 'would change: set peers', steps: [{ run: `kv set peers '${PEERS_OF_NODE1}'` }] }],
        },
      },
    });
    expect(machines.get('node1')?.changes).toEqual([]);
  });
});

describe('up --confirm', () => {
  const options = { inventory: '', forks: 10, check: false, json: false, purge: false, lockTimeout: 5, confirm: true };
  const answering = (answer: string, asked: string[] = []): Prompt => ({
    interactive: true,
    ask: async (question) => {
      asked.push(question);
      return answer;
    },
  });

  it('shows the plan, asks, and applies on yes', async () => {
    const asked: string[] = [];
    const output = capture();
    const code = await convergeCommand('up', { ...options, inventory, playbook }, output, answering('y', asked));
    expect(code).toBe(0);
    expect(asked).toEqual(['Apply these changes to 3 host(s)? [y/N] ']);
    expect(output.stdout.join('\n')).toContain("node2\n  Record the peers: would change: set peers\n    run:\n      kv set peers");
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
  });

  it('applies nothing on no (or just Enter)', async () => {
    for (const answer of ['n', '']) {
      const output = capture();
      expect(await convergeCommand('up', { ...options, inventory, playbook }, output, answering(answer))).toBe(0);
      expect(output.stderr).toEqual(['Nothing was applied.']);
    }
    expect([...machines.values()].map((machine) => machine.changes)).toEqual([[], [], []]);
  });

  it('does not ask when nothing would change', async () => {
    expect((await converge('up')).code).toBe(0);
    const asked: string[] = [];
    expect(await convergeCommand('up', { ...options, inventory, playbook }, capture(), answering('y', asked))).toBe(0);
    expect(asked).toEqual([]);
  });

  it('refuses with exit 2 when stdin is not a terminal, and applies with -y without asking', async () => {
    const refused = await converge('up', '--confirm');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--confirm asks before applying, but stdin is not a terminal');
    expect(peersOf('node1')).toBeUndefined();
    const yes = await converge('up', '--confirm', '-y');
    expect(yes.code).toBe(0);
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
  });
});

describe('preflight', () => {
  /** Gives fake machines these preflight facts (the store key's content is what the command prints). */
  const withFacts = (fact: FactName, value: string, ...names: string[]): void => {
    for (const name of names) machines.set(name, new FakeHost(name, { [preflightKey(fact)]: value }));
  };
  const untouched = (): void => {
    for (const machine of machines.values()) {
      expect(machine.changes).toEqual([]);
      expect(machine.store.get('peers')).toBeUndefined();
    }
  };

  it('stops up on a machine-id two hosts share, before any task and with exit 2, also with --force', async () => {
    withFacts('machineId', '0f3a9c', 'node1', 'node3');
    for (const force of [[], ['--force']]) {
      const result = await converge('up', ...force);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("preflight: node1: /etc/machine-id 0f3a9c is also node3's");
      expect(result.stderr).toContain("preflight: node3: /etc/machine-id 0f3a9c is also node1's");
      expect(result.stderr).toContain('--force cannot skip it');
      expect(result.stderr).not.toContain('node2:');
      untouched();
      // One read of each host's facts (the preflight batch), nothing planned.
      expect([...machines.values()].map((machine) => machine.reads.length)).toEqual([1, 1, 1].map((n) => n * (force.length + 1)));
    }
  });

  it('lists the findings under preflight with --json', async () => {
    withFacts('machineId', '0f3a9c', 'node1', 'node3');
    const result = await converge('up', '--json');
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout) as { ok: boolean; preflight: { host: string; check: string; forcible: boolean; fix: string }[] };
    expect(body.ok).toBe(false);
    expect(body.preflight.map(({ host, check, forcible }) => ({ host, check, forcible }))).toEqual([
      { host: 'node1', check: 'machine-id', forcible: false },
      { host: 'node3', check: 'machine-id', forcible: false },
    ]);
    expect(body.preflight[0]?.fix).toContain('systemd-machine-id-setup');
  });

  it('stops plan the same way', async () => {
    withFacts('machineId', '0f3a9c', 'node1', 'node2');
    const result = await meshctl(['plan', inventory, '--playbook', playbook, '--lock-timeout', '5']);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('Record the peers');
    untouched();
  });

  it('stops up on a finding --force may skip, and goes on past it with --force, warning', async () => {
    withFacts('hostname', 'web', 'node1', 'node2');
    const stopped = await converge('up');
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain('(--force skips them)');
    untouched();

    const forced = await converge('up', '--force', '--json');
    expect(forced.code).toBe(0);
    const body = JSON.parse(forced.stdout) as { ok: boolean; preflight: { host: string; check: string }[] };
    expect(body.ok).toBe(true);
    expect(body.preflight.map(({ host, check }) => [host, check])).toEqual([['node1', 'hostname'], ['node2', 'hostname']]);
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
    const warned = await converge('up', '--force');
    expect(warned.stderr).toContain("preflight: node2: hostname 'web' is also node1's");
    expect(warned.stderr).toContain('warning (--force)');
  });

  it('finds a missing underlay interface on the host that lacks it', async () => {
    withFacts('link', '', 'node2');
    const result = await converge('up', '--json');
    expect(result.code).toBe(2);
    expect((JSON.parse(result.stdout) as { preflight: unknown[] }).preflight).toEqual([
      expect.objectContaining({ host: 'node2', check: 'underlay-missing', message: 'there is no interface eth0 (mesh.underlay.interface)' }),
    ]);
  });
});

describe('up interrupted (Ctrl-C)', () => {
  const lastRunsIn = async (file: string): Promise<unknown> => (JSON.parse(await readFile(file.replace(/\.yaml$/, '.state.json'), 'utf8')) as { last_runs?: unknown }).last_runs;

  /** A machine that gets SIGINT (as the terminal sends it) `times` times as its step starts; with `hold`, the step then waits for `release`. */
  class InterruptedMachine extends FakeHost {
    constructor(name: string, private readonly times: number, private readonly hold = false) {
      super(name);
    }

    override async execScript(script: string) {
      if (!script.startsWith('set -e\n')) return super.execScript(script);
      const held = this.hold ? `set -e\nuntil [ "$(kv get release)" = go ]; do sleep 0.02; done\n${script.slice('set -e\n'.length)}` : script;
      const running = super.execScript(held);
      for (let i = 0; i < this.times; i++) process.emit('SIGINT');
      return running;
    }
  }

  it('lets the running step finish, starts nothing more, records and prints the run as interrupted, exits 130 and leaves no lock', async () => {
    const fleet = path.join(home.dir, `interrupted-${run}.yaml`);
    await writeFile(fleet, INVENTORY);
    machines.set('node1', new InterruptedMachine('node1', 1));
    const listeners = process.listenerCount('SIGINT');
    // One host at a time, in order: node1 runs its step, node2 and node3 have not begun.
    const result = await meshctl(['up', fleet, '--playbook', playbook, '--forks', '1', '--json']);

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted: finishing the running steps (Ctrl-C again to abort now)');
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      interrupted: true,
      hosts: {
        node1: { ok: 0, changed: 1, failed: 0, unreachable: false },
        node2: { ok: 0, changed: 0, failed: 0, unreachable: false, interrupted: true, task: 'Record the peers', reason: "interrupted before task 'Record the peers'" },
        node3: { ok: 0, changed: 0, failed: 0, unreachable: false, interrupted: true, task: 'Record the peers', reason: "interrupted before task 'Record the peers'" },
      },
    });
    expect(peersOf('node1')).toBe(PEERS_OF_NODE1);
    expect([machines.get('node2')?.changes, machines.get('node3')?.changes]).toEqual([[], []]);
    expect(await lastRunsIn(fleet)).toEqual({
      node1: { action: 'up', at: expect.any(String), outcome: 'ok' },
      node2: { action: 'up', at: expect.any(String), outcome: 'interrupted', task: 'Record the peers' },
      node3: { action: 'up', at: expect.any(String), outcome: 'interrupted', task: 'Record the peers' },
    });
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    // The sessions were closed as usual, so no lock is left: another run takes each at once.
    for (const name of ['node1', 'node2', 'node3']) await (await holdMachine(name, 'the next run')).release();

    const again = await meshctl(['up', fleet, '--playbook', playbook]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Result: ok, 2 task(s) changed.');
  });

  it('says in the recap which hosts did not finish', async () => {
    machines.set('node1', new InterruptedMachine('node1', 1));
    const result = await converge('up', '--forks', '1');
    expect(result.code).toBe(130);
    expect(result.stdout).toContain("node2: interrupted before task 'Record the peers'");
    expect(result.stdout).toContain('Result: INTERRUPTED: node2, node3 did not finish; the other 1 host was brought up.');
  });

  it('aborts at a second Ctrl-C without waiting for the running step, still closing the sessions and exiting 130', async () => {
    const held = new InterruptedMachine('node1', 2, true);
    machines.set('node1', held);
    const started = Date.now();
    const result = await converge('up', '--forks', '1');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain('internal error');
    expect(result.stdout).toContain("node1: interrupted: aborted while task 'Record the peers' ran (its steps may not have finished)");
    expect(held.closed).toBe(true);
    await held.execScript('kv set release go');
  });
});
