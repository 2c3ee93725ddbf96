// The -v line and the --log entry of each kind of event.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../src/logging/events.js';
import { formatFull, formatLine, OUTPUT_LIMIT_BYTES, summary } from '../../../src/logging/format.js';

const script = `set -e\n${'kv set key value\n'.repeat(24)}`;
const finished = (over: Partial<Extract<LogEvent, { kind: 'command-finished' }>> = {}): LogEvent => ({
  kind: 'command-finished',
  host: 'node1',
  id: 3,
  command: { script },
  ms: 212,
  code: 0,
  signal: null,
  stdout: 'out line 1\nout line 2\n',
  stderr: '',
  ...over,
});

describe('summary', () => {
  it('names a script by its first line and its length in bytes', () => {
    expect(summary({ script })).toBe(`sh -c 'set -e…' (${Buffer.byteLength(script)} bytes)`);
  });

  it('gives a short one-line script whole, and argv quoted as it runs', () => {
    expect(summary({ script: 'kv get a' })).toBe("sh -c 'kv get a'");
    expect(summary({ argv: ['ip', '-br', 'addr', "it's"] })).toBe("ip -br addr 'it'\\''s'");
  });

  it('keeps an argument with a newline on one line', () => {
    expect(summary({ argv: ['sh', '-c', 'a\nb', 'name'] })).toBe("sh -c 'a… (16 bytes)");
  });

  it('cuts a long command line', () => {
    const text = summary({ argv: ['echo', 'x'.repeat(500)] });
    expect(text).toMatch(/^echo x+… \(505 bytes\)$/);
    expect(text.length).toBeLessThan(140);
  });
});

describe('formatLine (-v)', () => {
  it('shows a finished command with its host, duration, status and command', () => {
    expect(formatLine(finished())).toBe(`node1 ✓ 0.21s exit 0  sh -c 'set -e…' (${Buffer.byteLength(script)} bytes)`);
    expect(formatLine(finished({ code: 2, ms: 1500, command: { argv: ['false'] } }))).toBe('node1 ✗ 1.50s exit 2  false');
    expect(formatLine(finished({ code: null, signal: 'TERM', command: { argv: ['sleep', '9'] } }))).toBe('node1 ✗ 0.21s signal TERM  sleep 9');
  });

  it('shows a command that never finished, a file put, and connections', () => {
    expect(formatLine({ kind: 'command-failed', host: 'n2', id: 1, command: { argv: ['apt-get', 'update'] }, ms: 900_000, reason: 'timed out after 900s' })).toBe(
      'n2 ✗ 900.00s timed out after 900s  apt-get update',
    );
    expect(formatLine({ kind: 'file-put', host: 'n2', path: '/etc/x.conf', bytes: 12, mode: 0o644, ms: 30 })).toBe('n2 ✓ 0.03s put /etc/x.conf (12 bytes, mode 0644)');
    expect(formatLine({ kind: 'file-put', host: 'n2', path: '/etc/x', bytes: 1, mode: undefined, ms: 5, error: 'denied' })).toBe('n2 ✗ 0.01s put /etc/x (1 bytes, mode default): denied');
    expect(formatLine({ kind: 'connected', host: 'n3', ms: 120 })).toBe('n3 connected in 0.12s');
    expect(formatLine({ kind: 'connect-failed', host: 'n3', ms: 3000, reason: 'no SSH session' })).toBe('n3 ✗ cannot connect after 3.00s: no SSH session');
  });

  it('prints nothing as a command starts, nor for a close or a lock wait (the command says so itself)', () => {
    expect(formatLine({ kind: 'command-started', host: 'n', id: 1, command: { script } })).toBeNull();
    expect(formatLine({ kind: 'closed', host: 'n' })).toBeNull();
    expect(formatLine({ kind: 'lock-wait', host: 'n', holder: 'meshctl pid 1', waitSeconds: 300 })).toBeNull();
  });
});

describe('formatFull (--log)', () => {
  it('writes the whole script and the stdin of a command as it starts', () => {
    const text = formatFull({ kind: 'command-started', host: 'node1', id: 7, command: { script }, stdin: 'the input\n' });
    expect(text.split('\n')[0]).toBe(`node1 #7 started: sh -c 'set -e…' (${Buffer.byteLength(script)} bytes)`);
    for (const line of script.trimEnd().split('\n')) expect(text).toContain(line);
    expect(text).toContain('  stdin (10 bytes):\n    the input');
  });

  it('writes the status, stdout and stderr of a finished command', () => {
    expect(formatFull(finished({ stderr: 'warn\n' }))).toBe(
      'node1 #3 finished in 0.21s: exit 0\n  stdout (22 bytes):\n    out line 1\n    out line 2\n  stderr (5 bytes):\n    warn',
    );
    expect(formatFull(finished({ stdout: '' }))).toContain('  stdout: (empty)');
  });

  it(`cuts each stream at ${OUTPUT_LIMIT_BYTES} bytes and says how much was left out`, () => {
    const text = formatFull(finished({ stdout: 'a'.repeat(OUTPUT_LIMIT_BYTES + 1000), stderr: 'b'.repeat(10) }));
    expect(text).toContain(`stdout (${OUTPUT_LIMIT_BYTES + 1000} bytes)`);
    expect(text).toContain('… 1000 more bytes not logged');
    expect(text.match(/a/g)?.length).toBe(OUTPUT_LIMIT_BYTES);
    expect(text).toContain('    bbbbbbbbbb');
  });

  it('writes the other kinds with every field', () => {
    expect(formatFull({ kind: 'lock-wait', host: 'n1', holder: 'meshctl pid 4 from ops since T', waitSeconds: 300 })).toBe(
      'n1 waiting up to 300s for the run lock: locked by meshctl pid 4 from ops since T',
    );
    expect(formatFull({ kind: 'file-put', host: 'n1', path: '/p', bytes: 9, mode: 0o600, ms: 1, error: 'full' })).toBe('n1 put /p (9 bytes, mode 0600) in 0.00s: failed: full');
    expect(formatFull({ kind: 'closed', host: 'n1' })).toBe('n1 connection closed');
    expect(formatFull({ kind: 'command-failed', host: 'n1', id: 2, command: { argv: ['x'] }, ms: 10, reason: 'lost' })).toBe('n1 #2 failed after 0.01s: lost');
    expect(formatFull({ kind: 'command-started', host: 'n1', id: 1, command: { argv: ['sh', '-c', 'cat'] }, longRunning: true }).split('\n')[0]).toBe(
      'n1 #1 started (runs until meshctl ends it): sh -c cat',
    );
  });
});
