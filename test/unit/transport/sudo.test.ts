// become through sudo, against a fake host that answers sudo as sudo does (messages from sudo 1.9,
// Debian 12): which way in it finds, what it refuses and how, and what the wrapped command gets.
import { describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import type { Host } from '../../../src/inventory/types.js';
import type { ExecResult } from '../../../src/transport/connection.js';
import { Sudo, type RawRun } from '../../../src/transport/sudo.js';

const host: Host = {
  name: 'node1',
  address: '10.210.1.11',
  underlayAddress: '10.211.1.11',
  ssh: { user: 'operator', port: 22, knownHosts: '/tmp/known_hosts', hostKeyChecking: 'accept-new', connectTimeoutMs: 10_000, commandTimeoutMs: 60_000 },
  become: true,
  groups: [],
  vars: {},
  docker: { daemon: {}, insecureTcp: false, daemonSources: {} },
};

const answer = (code: number, stderr = ''): ExecResult => ({ stdout: '', stderr, code, signal: null });

/** sudoers as given: `nopasswd`, a `password`, no sudo at all, or a refusal. */
function fakeHost(sudoers: { nopasswd?: boolean; password?: string; missing?: boolean; failFirst?: Error }) {
  const calls: { command: string; stdin?: string }[] = [];
  let failure = sudoers.failFirst;
  const run: RawRun = async (request) => {
    calls.push({ command: request.command, ...(request.stdin === undefined ? {} : { stdin: request.stdin }) });
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    if (sudoers.missing) return answer(127, 'sh: 1: sudo: not found\n');
    if (request.command === 'sudo -k -n true') return sudoers.nopasswd ? answer(0) : answer(1, 'sudo: a password is required\n');
    if (sudoers.password === undefined) return answer(1, 'sudo: a password is required\n');
    return request.stdin === `${sudoers.password}\n` ? answer(0) : answer(1, 'sudo: 1 incorrect password attempt\n');
  };
  return { run, calls };
}

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectError);
  expect((error as ConnectError).reason).toBe('become');
  return error as ConnectError;
}

describe('Sudo', () => {
  it('runs through `sudo -n` when sudoers needs no password, and asks sudo only once', async () => {
    const { run, calls } = fakeHost({ nopasswd: true });
    const sudo = new Sudo(run, host, undefined);
    expect(await sudo.wrap('id -u', 'input')).toEqual({ command: "sudo -n -- sh -c 'id -u'", stdin: 'input' });
    await sudo.wrap('true', undefined);
    expect(calls.map((c) => c.command)).toEqual(['sudo -k -n true']);
  });

  it('puts the become password before the command’s own input, and reads it afresh each time', async () => {
    const { run } = fakeHost({ password: 's3cret' });
    const wrapped = await new Sudo(run, host, 's3cret').wrap('cat > /etc/x', 'file content');
    expect(wrapped.command).toBe("sudo -k -S -p '' -- sh -c 'cat > /etc/x'");
    expect(Buffer.from(wrapped.stdin ?? '').toString()).toBe('s3cret\nfile content');
  });

  it('refuses, saying why: no password given, a wrong one, no sudo', async () => {
    expect((await refusal(new Sudo(fakeHost({ password: 'x' }).run, host, undefined).wrap('true', undefined))).message).toContain('sudo needs a password');
    expect((await refusal(new Sudo(fakeHost({ password: 'x' }).run, host, 'wrong').wrap('true', undefined))).message).toContain('rejected the become password');
    expect((await refusal(new Sudo(fakeHost({ missing: true }).run, host, undefined).wrap('true', undefined))).message).toContain('sudo is not installed');
  });

  it('keeps a refusal for the connection, but asks again after a lost connection or a timeout', async () => {
    const refusing = fakeHost({ password: 'x' });
    const refused = new Sudo(refusing.run, host, undefined);
    await refusal(refused.wrap('true', undefined));
    await refusal(refused.wrap('true', undefined));
    expect(refusing.calls).toHaveLength(1);

    const flaky = fakeHost({ nopasswd: true, failFirst: new ConnectError('node1', 'unreachable', 'the connection was closed') });
    const sudo = new Sudo(flaky.run, host, undefined);
    await expect(sudo.wrap('true', undefined)).rejects.toThrow('the connection was closed');
    await expect(sudo.wrap('true', undefined)).resolves.toMatchObject({ command: 'sudo -n -- sh -c true' });
    expect(flaky.calls).toHaveLength(2);
  });
});
