// -v and --log through the CLI, with the SSH connector replaced by FakeHosts and the module
// registry by one test module (as in fleet.test.ts): where the options may go, what -v prints,
// and what the log file holds, the sudo password (a become_password_env variable) redacted.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { currentRunLog } from '../../../src/logging/run-log.js';
import type { Output } from '../../../src/output.js';
import { connect } from '../../../src/transport/ssh.js';
import { takeRunLock } from '../../../src/transport/run-lock.js';
import { FakeHost } from '../engine/fake-host.js';
import { useIsolatedHome } from '../isolated-home.js';

vi.mock('../../../src/transport/ssh.js', () => ({ connect: vi.fn() }));
vi.mock('../../../src/modules/index.js', async () => {
  const { recordModule } = await import('./record-module.js');
  return { modules: new Map([[recordModule.name, recordModule]]) };
});
// Each fake host's preflight facts come from its store (healthy unless a test says otherwise).
vi.mock('../../../src/preflight/facts.js', async (importOriginal) =>
  (await import('./fake-preflight.js')).withFakePreflightCommands(await importOriginal()));
vi.mock('../../../src/transport/run-lock.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/transport/run-lock.js')>();
  return { ...real, takeRunLock: (conn: Parameters<typeof real.takeRunLock>[0], request: Parameters<typeof real.takeRunLock>[1]) => real.takeRunLock(conn, { ...request, path: 'meshctl-logs.lock' }) };
});

const PASSWORD = 'Tr0ub4dor&3-sudo';
const PASSWORD_VARIABLE = 'MESHCTL_LOGS_TEST_PASSWORD';
// The password is also the value the playbook records, so it is in a step's script and in what
// the next run's facts read back.
const INVENTORY = `vars: { fail: '', secret: '${PASSWORD}' }
become_password_env: ${PASSWORD_VARIABLE}
hosts:
  - { name: node1, address: 10.0.0.1 }
  - { name: node2, address: 10.0.0.2 }
mesh: { backend: ovs-gre, pool: 172.17.0.0/16, slice_prefix: 18 }
`;
const PLAYBOOK = `name: test
up:
  - name: Record the secret
    module: record
    params: { key: secret, value: "{{ secret }}", fail: "{{ fail }}" }
down:
  - name: Forget the secret
    module: record
    params: { key: secret, value: none, fail: "{{ fail }}" }
`;

const home = useIsolatedHome('logs');
let inventory: string;
let playbook: string;

beforeAll(async () => {
  process.env[PASSWORD_VARIABLE] = PASSWORD;
  inventory = path.join(home.dir, 'inventory.yaml');
  playbook = path.join(home.dir, 'playbook.yaml');
  await writeFile(inventory, INVENTORY);
  await writeFile(playbook, PLAYBOOK);
});

afterAll(() => {
  delete process.env[PASSWORD_VARIABLE];
});

let machines: Map<string, FakeHost>;
let stdoutWrites: string[];
beforeEach(() => {
  stdoutWrites = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdoutWrites.push(String(chunk));
    return true;
  });
  machines = new Map(['node1', 'node2'].map((name) => [name, new FakeHost(name)]));
  vi.mocked(connect).mockReset();
  vi.mocked(connect).mockImplementation(async (host) => {
    const machine = machines.get(host.name);
    if (machine === undefined) throw new Error(`no fake machine ${host.name}`);
    return machine;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function meshctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output: Output = { out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
  const code = await main(args, output);
  return { code, stdout: stdout.join('\n'), stderr };
}

const up = (...args: string[]) => ['up', inventory, '--playbook', playbook, '--lock-timeout', '5', ...args];
/** The -v lines about remote commands: `HOST ✓|✗ 0.00s exit N  command`. */
const commandLines = (stderr: string[]) => stderr.filter((line) => /^node\d [✓✗] \d+\.\d\ds (exit|signal) /.test(line));

describe('-v', () => {
  // Functions: the inventory's path is known only once beforeAll has run.
  it.each([
    ['before the command', () => ['-v', ...up()]],
    ['after the command', () => up('-v')],
    ['as --verbose', () => up('--verbose')],
  ])('%s: prints each remote command per host as it finishes', async (_where, args) => {
    const result = await meshctl(args());
    expect(result.code).toBe(0);
    const lines = commandLines(result.stderr);
    for (const name of ['node1', 'node2']) {
      const ran = machines.get(name)?.calls.filter((call) => call.kind === 'script' || call.kind === 'start').length ?? 0;
      // The lock's command is one of them: it is reported when the session ends it.
      expect(lines.filter((line) => line.startsWith(`${name} `)).length).toBe(ran);
    }
    expect(lines.some((line) => /^node1 ✓ \d+\.\d\ds exit 0  sh -c 'set -e…' \(\d+ bytes\)$/.test(line))).toBe(true);
    expect(result.stderr.join('\n')).not.toContain(PASSWORD);
    expect(currentRunLog()).toBeUndefined();
  });

  it('prints nothing extra without it', async () => {
    const result = await meshctl(up());
    expect(result.code).toBe(0);
    expect(commandLines(result.stderr)).toEqual([]);
  });

  it('leaves stdout one JSON object with --json', async () => {
    const result = await meshctl(up('--json', '-v'));
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
    expect(commandLines(result.stderr).length).toBeGreaterThan(0);
    expect(stdoutWrites).toEqual([]);
  });
});

describe('--log FILE', () => {
  it('appends every event with a timestamp, scripts and outputs in full, and the password redacted', async () => {
    const file = path.join(home.dir, 'first.log');
    expect((await meshctl(['--log', file, ...up()])).code).toBe(0);
    // The second run reads the recorded value back: the password is then on a command's stdout.
    expect((await meshctl([...up(), '--log', file])).code).toBe(0);
    const text = await readFile(file, 'utf8');

    expect(machines.get('node1')?.store.get('secret')).toBe(PASSWORD);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain("kv set secret '[redacted]'");
    // The facts read it back as printed, and the log has it redacted there too.
    expect(text).not.toContain(Buffer.from(`${PASSWORD}\n`).toString('base64').slice(0, 12));
    expect(text).toMatch(/stdout \(\d+ bytes\):\n    meshctl-fact-\w+ start 0\n    .*\[redacted\]/);
    const entries = text.split('\n').filter((line) => !line.startsWith('  '));
    for (const entry of entries.filter((line) => line !== '')) expect(entry).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(entries.filter((line) => /Z meshctl (.* )?up .*\(pid \d+\)$/.test(line)).length).toBe(2);
    for (const name of ['node1', 'node2']) {
      expect(text).toMatch(new RegExp(`Z ${name} connected in `));
      expect(text).toMatch(new RegExp(`Z ${name} connection closed`));
      const started = entries.filter((line) => new RegExp(`Z ${name} #\\d+ started`).test(line)).length;
      const finished = entries.filter((line) => new RegExp(`Z ${name} #\\d+ finished in `).test(line)).length;
      expect(started).toBe(finished);
      expect(started).toBeGreaterThan(2);
    }
  });

  it('records a wait for a host that another run holds', async () => {
    const file = path.join(home.dir, 'lock.log');
    const other = await takeRunLock(new FakeHost('node2'), { holder: 'meshctl pid 1 from elsewhere', waitSeconds: 0 });
    const result = await meshctl(up('--log', file, '--lock-timeout', '0.2'));
    await other.release();
    expect(result.code).not.toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/Z node2 waiting up to 0\.\d+s for the run lock: locked by meshctl pid 1 from elsewhere\n/);
  });

  it('is bad input (exit 2, no host touched) when the file cannot be opened', async () => {
    const result = await meshctl(up('--log', path.join(home.dir, 'missing', 'x.log')));
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(/--log .*x\.log: cannot open it for writing/);
    expect(vi.mocked(connect)).not.toHaveBeenCalled();
  });
});
