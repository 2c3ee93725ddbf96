import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FACT_SCRIPT_BUDGET, factBatchScript, parseFactBatch, readFactBatch } from '../../../src/engine/fact-batch.js';
import type { ExecResult } from '../../../src/transport/connection.js';
import { shellQuote } from '../../../src/transport/quote.js';
import { FakeHost } from './fake-host.js';

// Commands whose output a naive framing would get wrong. Each must come back from the batch
// exactly as it comes back when run alone.
const awkward: Record<string, string> = {
  'no final newline': "printf 'no newline'",
  'trailing blank lines': "printf 'two\\n\\n\\n'",
  'nothing at all': 'true',
  'stdout, stderr and an exit code': 'echo out; echo err >&2; exit 3',
  'stderr only': 'echo only-err >&2; exit 1',
  'text like a boundary': "echo 'meshctl-fact-0123 end'; echo 'meshctl-fact-0123 0 0'; echo meshctl-fact-0123 >&2",
  'base64 of its own': 'echo aGVsbG8K; echo ====',
  'bytes that are not UTF-8': "printf '\\377\\376\\000x\\n'",
  'quotes and dollars': `echo "it's \${HOME+set} \\$HOME"`,
  'a syntax error': 'if then fi',
  'carriage returns': "printf 'a\\r\\nb\\r'",
  'much output': 'seq 1 50000',
};

const alone = (host: FakeHost, command: string): Promise<ExecResult> => host.execScript(command);

describe('readFactBatch', () => {
  it('gives each command exactly what it printed and its exit code, as if it had run alone', async () => {
    const host = new FakeHost('a');
    const commands = Object.values(awkward);
    const batch = await readFactBatch(host, commands);
    const expected = await Promise.all(commands.map((command) => alone(host, command)));
    expect(batch.ok).toBe(true);
    expect(Object.fromEntries(Object.keys(awkward).map((name, i) => [name, batch.results[i]]))).toEqual(
      Object.fromEntries(Object.keys(awkward).map((name, i) => [name, expected[i]])),
    );
    // The batch (one call), then each command alone.
    expect(host.calls).toHaveLength(1 + commands.length);
  });

  it('runs a command asked for twice once, and gives both their answer', async () => {
    const host = new FakeHost('a');
    const batch = await readFactBatch(host, ['echo $$', 'true', 'echo $$']);
    expect(batch.ok).toBe(true);
    expect(batch.results[0]?.stdout).toMatch(/^\d+\n$/);
    expect(batch.results[2]).toEqual(batch.results[0]);
    expect(batch.results[1]).toEqual({ stdout: '', stderr: '', code: 0, signal: null });
    expect(host.calls).toHaveLength(1);
  });

  it('runs each command in a shell of its own: an exit, a variable or a cd stays inside it', async () => {
    const host = new FakeHost('a');
    const batch = await readFactBatch(host, ['x=set; cd /; exit 5', 'echo "${x-unset} $(pwd)"']);
    expect(batch.results.map((r) => [r.code, r.stdout])).toEqual([[5, ''], [0, `unset ${process.cwd()}\n`]]);
  });

  it('gives a command no input, not even what the script itself was given', () => {
    const script = factBatchScript(['cat; echo "read: $?"'], 'B');
    const run = spawnSync('sh', ['-c', script], { input: 'the controller typed this\n', encoding: 'utf8' });
    const batch = parseFactBatch({ stdout: run.stdout, stderr: run.stderr, code: run.status, signal: null }, 'B', 1);
    expect(batch.results).toEqual([{ stdout: 'read: 0\n', stderr: '', code: 0, signal: null }]);
  });

  it('runs nothing when there is nothing to read', async () => {
    const host = new FakeHost('a');
    expect(await readFactBatch(host, [])).toEqual({ ok: true, results: [] });
    expect(host.calls).toEqual([]);
  });

  it('splits commands too long for one script into several, in order', async () => {
    const host = new FakeHost('a');
    const padding = 'x'.repeat(Math.ceil(FACT_SCRIPT_BUDGET * 0.4));
    const commands = [1, 2, 3].map((n) => `: ${padding}; echo ${n}`);
    const batch = await readFactBatch(host, commands);
    expect(batch.results.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n']);
    expect(host.calls).toHaveLength(2);
  });

  it('leaves no temporary files behind', async () => {
    const host = new FakeHost('a');
    const script = factBatchScript(['echo hi'], 'B');
    const result = await host.execScript(`export TMPDIR="$(mktemp -d)"; sh -c ${shellQuote(script)} >/dev/null; ls -A "$TMPDIR"; rmdir "$TMPDIR"`);
    expect(result).toMatchObject({ stdout: '', code: 0 });
  });
});

describe('parseFactBatch', () => {
  const frame = (index: number, code: number): string => `B start ${index}\nhi\n\nB code ${code}\n\nB done\n`;
  const frames = (...codes: number[]): string => codes.map((code, i) => frame(i, code)).join('');
  const exit = (stdout: string, code: number | null = 0, stderr = ''): ExecResult => ({ stdout, stderr, code, signal: code === null ? 'SIGKILL' : null });

  it('reads frames up to the end line', () => {
    const batch = parseFactBatch(exit(`${frames(0, 2)}B end\n`), 'B', 2);
    expect(batch).toEqual({
      ok: true,
      results: [
        { stdout: 'hi\n', stderr: '', code: 0, signal: null },
        { stdout: 'hi\n', stderr: '', code: 2, signal: null },
      ],
    });
  });

  it('keeps only whole frames of a script that was killed, and says how it stopped', () => {
    const batch = parseFactBatch(exit(`${frames(0)}B start 1\nhi\n`, null, 'Killed\n'), 'B', 3);
    expect(batch).toMatchObject({ ok: false, why: 'stopped (exit SIGKILL)', stderr: 'Killed\n' });
    expect(batch.results).toHaveLength(1);
  });

  it('fails a script that ended without its end line, or with it but a non-zero exit', () => {
    expect(parseFactBatch(exit(frames(0, 0)), 'B', 2)).toMatchObject({ ok: false, why: 'ended early' });
    expect(parseFactBatch(exit(`${frames(0, 0)}B end\n`, 1), 'B', 2)).toMatchObject({ ok: false, why: 'stopped (exit 1)' });
  });

  it('fails a frame out of order or missing, rather than handing a parser another fact’s output', () => {
    const swapped = `${frame(1, 0)}${frame(0, 0)}B end\n`;
    expect(parseFactBatch(exit(swapped), 'B', 2)).toMatchObject({ ok: false, results: [] });
    expect(parseFactBatch(exit(`${frames(0)}B end\n`), 'B', 2)).toMatchObject({ ok: false, why: 'ended early' });
  });

  it('ignores lines outside frames and boundaries of another run', () => {
    const stray = `motd: welcome\nC 0 9\n${frames(0)}C end\nB end\n`;
    expect(parseFactBatch(exit(stray), 'B', 1)).toMatchObject({ ok: true, results: [{ code: 0, stdout: 'hi\n' }] });
  });
});
