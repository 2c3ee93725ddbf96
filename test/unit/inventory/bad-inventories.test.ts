// The corpus of bad inventories (bad/*.yaml, one class each, named on its first line): each is
// refused as bad input with exactly the problems its `# expect:` lines give (paths relative to
// bad/, `{home}` for ~), before any connection is opened or any name looked up, and meshctl
// exits 2 with that message and no stack. Support files the corpus points at are in bad/files/.
import dns from 'node:dns';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Output } from '../../../src/output.js';
import { loadContext } from '../../../src/commands/context.js';
import { InputError, UsageError } from '../../../src/errors.js';
import { connect } from '../../../src/transport/ssh.js';
import { useIsolatedHome } from '../isolated-home.js';

vi.mock('../../../src/transport/ssh.js', () => ({ connect: vi.fn() }));

const dir = path.resolve(import.meta.dirname, 'bad');
const EXPECT = '# expect: ';

const home = useIsolatedHome('corpus');

afterEach(() => {
  vi.restoreAllMocks();
  vi.mocked(connect).mockClear();
});

interface Case {
  file: string;
  header: string;
  expected: string[];
}

async function readCase(name: string): Promise<Case> {
  const file = path.join(dir, name);
  const lines = (await readFile(file, 'utf8')).split('\n');
  return {
    file,
    header: lines[0] ?? '',
    expected: lines.filter((line) => line.startsWith(EXPECT)).map((line) => line.slice(EXPECT.length)),
  };
}

/** The message as the corpus writes it: paths relative to bad/, the home directory as {home}. */
function relative(message: string): string[] {
  return message.replaceAll(`${dir}/`, '').replaceAll(home.dir, '{home}').split('\n');
}

function capture(): Output & { errors: string[] } {
  const errors: string[] = [];
  return { errors, out: () => undefined, err: (text) => errors.push(text) };
}

/** Fails the test if anything opens a socket or resolves a name while `work` runs. */
async function withoutNetwork<T>(work: () => Promise<T>): Promise<T> {
  const socketConnect = vi.spyOn(net.Socket.prototype, 'connect');
  const lookup = vi.spyOn(dns, 'lookup');
  const lookupPromise = vi.spyOn(dns.promises, 'lookup');
  const result = await work();
  expect(socketConnect).not.toHaveBeenCalled();
  expect(lookup).not.toHaveBeenCalled();
  expect(lookupPromise).not.toHaveBeenCalled();
  expect(connect).not.toHaveBeenCalled();
  return result;
}

describe('bad inventories', async () => {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();

  it('are at least 40', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(names)('%s is refused with its expected problems and no connection', async (name) => {
    const { file, header, expected } = await readCase(name);
    expect(header, 'the first line names the class').toMatch(/^# \S/);
    expect(expected.length, 'at least one # expect: line').toBeGreaterThan(0);

    const error = await withoutNetwork(() => loadContext(file).then(() => undefined, (e: unknown) => e));
    if (!(error instanceof InputError || error instanceof UsageError)) throw error;
    expect(relative(error.message)).toEqual(expected);

    const output = capture();
    const code = await withoutNetwork(() => main(['exec', '-i', file, '--', 'true'], output));
    expect(code).toBe(2);
    expect(output.errors).toEqual([`meshctl: ${error.message}`]);
  });
});

describe('bad paths and flags', () => {
  it('refuses a directory as the inventory, listing the YAML files in it', async () => {
    const error = await loadContext(dir).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(new RegExp(`^inventory ${dir} is a directory: give the inventory file itself \\(it holds [a-z-]+\\.yaml, `));
  });

  it('refuses a missing inventory file', async () => {
    const output = capture();
    expect(await main(['up', path.join(dir, 'files', 'no-such.yaml')], output)).toBe(2);
    expect(output.errors).toEqual([`meshctl: cannot read inventory ${path.join(dir, 'files', 'no-such.yaml')}: no such file`]);
  });

  it('refuses --limit naming a host the inventory does not have, before connecting', async () => {
    const file = path.join(home.dir, 'good.yaml');
    await writeFile(file, 'hosts:\n  - name: node1\n    address: 10.0.0.1\nmesh:\n  backend: ovs-gre\n  pool: 172.17.0.0/16\n  slice_prefix: 18\n');
    const output = capture();
    expect(await withoutNetwork(() => main(['exec', '-i', file, '-l', 'node9', '--', 'true'], output))).toBe(2);
    expect(output.errors).toEqual(['meshctl: --limit: no host or group named node9 (did you mean node1?); hosts: node1; groups: none']);
  });

  it('refuses bad flag values before reading the inventory', async () => {
    const output = capture();
    expect(await withoutNetwork(() => main(['up', '--forks', '0', path.join(dir, 'files', 'no-such.yaml')], output))).toBe(2);
    expect(output.errors.join('\n')).toMatch(/--forks.*'0' is invalid/);
  });
});
