// become_password_prompt: the sudo password asked once, before any connection, for the hosts
// that allow it and name no variable; refused as bad input without a terminal. The prompt is a
// fake, the SSH connector a mock that records what each host was given.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { becomePasswords, loadContext } from '../../../src/commands/context.js';
import { askBecomePassword, readHidden, type SecretPrompt } from '../../../src/commands/sudo-password.js';
import { ExitCode, UsageError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { RunLog, setCurrentRunLog } from '../../../src/logging/run-log.js';
import { connect } from '../../../src/transport/ssh.js';
import { FakeHost } from '../engine/fake-host.js';
import { useIsolatedHome } from '../isolated-home.js';

vi.mock('../../../src/transport/ssh.js', () => ({ connect: vi.fn() }));

const PASSWORD = 'correct horse battery';

/** A prompt that answers `answer` and keeps the questions it was asked. */
function fakePrompt(answer: string, interactive = true): SecretPrompt & { asked: string[] } {
  const asked: string[] = [];
  return {
    interactive,
    asked,
    askSecret: async (question) => {
      asked.push(question);
      return answer;
    },
  };
}

// edge hosts may be asked for; node3 names its own variable; node4 does not use sudo.
const INVENTORY = `become: true
groups:
  edge: { become_password_prompt: true }
hosts:
  - { name: node1, address: 10.0.0.1, groups: [edge] }
  - { name: node2, address: 10.0.0.2, groups: [edge] }
  - { name: node3, address: 10.0.0.3, groups: [edge], become_password_env: NODE3_SUDO }
  - { name: node4, address: 10.0.0.4, groups: [edge], become: false }
  - { name: node5, address: 10.0.0.5 }
mesh: { backend: ovs-gre, pool: 172.17.0.0/16, slice_prefix: 24 }
`;
const hosts = parseInventory(INVENTORY, 'inv.yaml').hosts;

describe('askBecomePassword', () => {
  it('asks once, naming the hosts the answer is for', async () => {
    const prompt = fakePrompt(PASSWORD);
    expect(await askBecomePassword(hosts, prompt)).toBe(PASSWORD);
    expect(prompt.asked).toEqual(['sudo password for node1, node2: ']);
  });

  it('asks nothing, also without a terminal, when no host allows it or each names a variable', async () => {
    const without = parseInventory(INVENTORY.replace('become_password_prompt: true', 'become_password_prompt: false'), 'inv.yaml').hosts;
    const prompt = fakePrompt(PASSWORD, false);
    expect(await askBecomePassword(without, prompt)).toBeUndefined();
    expect(await askBecomePassword(hosts.filter((host) => ['node3', 'node4', 'node5'].includes(host.name)), prompt)).toBeUndefined();
    expect(prompt.asked).toEqual([]);
  });

  it('is bad input without a terminal when a host would need asking', async () => {
    const prompt = fakePrompt(PASSWORD, false);
    const error = await askBecomePassword(hosts, prompt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.badInput);
    expect((error as UsageError).message).toMatch(/become_password_prompt is set for node1, node2, but this run has no terminal .* become_password_env/);
    expect(prompt.asked).toEqual([]);
  });

  it('takes an empty answer as no password', async () => {
    expect(await askBecomePassword(hosts, fakePrompt(''))).toBeUndefined();
  });
});

describe('readHidden', () => {
  const terminal = () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const shown: string[] = [];
    output.on('data', (chunk: Buffer) => shown.push(chunk.toString()));
    return { input, output, shown };
  };

  it('shows the question, never what is typed, and returns the line', async () => {
    const { input, output, shown } = terminal();
    const answer = readHidden('sudo password for node1: ', input, output);
    input.write(`${PASSWORD}\r`);
    expect(await answer).toBe(PASSWORD);
    expect(shown.join('')).toBe('sudo password for node1: \n');
  });

  it('answers nothing at end of input or Ctrl-C', async () => {
    const closed = terminal();
    const atEnd = readHidden('? ', closed.input, closed.output);
    closed.input.end();
    await expect(atEnd).rejects.toThrow(/no sudo password was given/);
    const interrupted = terminal();
    const atCtrlC = readHidden('? ', interrupted.input, interrupted.output);
    interrupted.input.write('\u0003');
    await expect(atCtrlC).rejects.toThrow(/interrupted/);
  });
});

describe('becomePasswords', () => {
  it('gives the answer to every host that allows it, and each named variable to its host', async () => {
    const passwords = await becomePasswords(hosts, { NODE3_SUDO: 'node3-own' }, fakePrompt(PASSWORD));
    expect(Object.fromEntries(passwords)).toEqual({ node1: PASSWORD, node2: PASSWORD, node3: 'node3-own' });
  });
});

describe('loadContext with become_password_prompt', () => {
  const home = useIsolatedHome('sudo-password');
  const inventoryFile = async (): Promise<string> => {
    const file = path.join(home.dir, 'inventory.yaml');
    await writeFile(file, INVENTORY);
    return file;
  };
  afterEach(() => {
    setCurrentRunLog(undefined);
    vi.mocked(connect).mockReset();
  });

  it('asks before connecting, hands the answer to the connection, and keeps it out of the log', async () => {
    const lines: string[] = [];
    setCurrentRunLog(new RunLog({ verbose: (line) => lines.push(line) }));
    vi.mocked(connect).mockImplementation(async (host) => new FakeHost(host.name));
    const prompt = fakePrompt(PASSWORD);
    const context = await loadContext(await inventoryFile(), { env: { ...process.env, NODE3_SUDO: 'node3-own' }, secretPrompt: prompt });
    expect(prompt.asked).toHaveLength(1);
    expect(connect).not.toHaveBeenCalled();

    for (const host of context.inventory.hosts) await context.connect(host);
    expect(vi.mocked(connect).mock.calls.map(([host, options]) => [host.name, options])).toEqual([
      ['node1', { becomePassword: PASSWORD }],
      ['node2', { becomePassword: PASSWORD }],
      ['node3', { becomePassword: 'node3-own' }],
      ['node4', {}],
      ['node5', {}],
    ]);
    const connection = await context.connect(hosts[0]!);
    await connection.exec(['echo', PASSWORD]);
    expect(lines.join('\n')).toContain('echo');
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('refuses without a terminal before any connection', async () => {
    await expect(loadContext(await inventoryFile(), { env: { ...process.env, NODE3_SUDO: 'node3-own' }, secretPrompt: fakePrompt(PASSWORD, false) })).rejects.toThrow(/no terminal to ask on/);
    expect(connect).not.toHaveBeenCalled();
  });

  it('asks nothing when --limit selects only hosts that need no password, and still refuses a limit naming no host', async () => {
    const env = { ...process.env, NODE3_SUDO: 'node3-own' };
    const prompt = fakePrompt(PASSWORD, false);
    const context = await loadContext(await inventoryFile(), { env, secretPrompt: prompt, limit: 'node3,node4' });
    expect(prompt.asked).toHaveLength(0);
    expect(context.inventory.hosts).toHaveLength(5);
    await expect(loadContext(await inventoryFile(), { env, secretPrompt: prompt, limit: 'node1' })).rejects.toThrow(/no terminal to ask on/);
    await expect(loadContext(await inventoryFile(), { env, secretPrompt: prompt, limit: 'nodeX' })).rejects.toThrow(/--limit: no host or group named nodeX/);
  });
});
