// The run log: secrets never reach the file or the -v lines, even cut at the output limit, and
// the file is appended to as events come.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import type { LogEvent } from '../../../src/logging/events.js';
import { OUTPUT_LIMIT_BYTES } from '../../../src/logging/format.js';
import { Redactor, REDACTED } from '../../../src/logging/redact.js';
import { RunLog } from '../../../src/logging/run-log.js';

const PASSWORD = 'correct horse battery';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAAAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5\n-----END OPENSSH PRIVATE KEY-----';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meshctl-run-log-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const finished = (stdout: string, stderr = ''): LogEvent => ({
  kind: 'command-finished',
  host: 'node1',
  id: 1,
  command: { argv: ['echo', PASSWORD] },
  ms: 5,
  code: 0,
  signal: null,
  stdout,
  stderr,
});

describe('Redactor', () => {
  it('takes out every secret added, longest first, and private keys', () => {
    const redact = new Redactor();
    redact.add('pw');
    redact.add('pw-long');
    redact.add('');
    expect(redact.text(`a pw-long b pw c\n${KEY}\nafter`)).toBe(`a ${REDACTED} b ${REDACTED} c\n${REDACTED}\nafter`);
  });

  it('takes out a secret base64-encoded, wherever it starts in the encoded text (facts come so)', () => {
    const redact = new Redactor();
    redact.add(PASSWORD);
    for (const before of ['', 'a', 'ab', 'abc', 'abcd']) {
      const encoded = Buffer.from(`${before}${PASSWORD}\n`).toString('base64');
      const text = redact.text(`fact ${encoded}`);
      expect(text).toContain(REDACTED);
      // What is left of the encoding no longer decodes to anything holding the password.
      expect(Buffer.from(text.replace('fact ', '').replace(REDACTED, ''), 'base64').toString()).not.toContain(PASSWORD.slice(0, 4));
    }
    expect(redact.text(Buffer.from('an unrelated fact value').toString('base64'))).not.toContain(REDACTED);
  });

  it('takes out a private key cut short before its end line', () => {
    expect(new Redactor().text(`x ${KEY.slice(0, 60)}`)).toBe(`x ${REDACTED}`);
  });
});

describe('RunLog', () => {
  it('redacts the password in every field, in the file and in the -v lines', async () => {
    const file = path.join(dir, 'redact.log');
    const lines: string[] = [];
    const log = new RunLog({ file, verbose: (line) => lines.push(line) });
    log.addSecret(PASSWORD);
    log.emit({ kind: 'command-started', host: 'node1', id: 1, command: { script: `echo ${PASSWORD}` }, stdin: `${PASSWORD}\n` });
    log.emit(finished(`${PASSWORD}\n${KEY}\n`, `sudo: ${PASSWORD}`));
    log.emit({ kind: 'connect-failed', host: 'node2', ms: 1, reason: `refused ${PASSWORD}` });
    log.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(text.match(/\[redacted\]/g)?.length).toBe(7);
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines).toEqual([`node1 ✓ 0.01s exit 0  echo '${REDACTED}'`, `node2 ✗ cannot connect after 0.00s: refused ${REDACTED}`]);
  });

  it('redacts before cutting, so a password across the limit leaves no part of itself', async () => {
    const file = path.join(dir, 'cut.log');
    const log = new RunLog({ file });
    log.addSecret(PASSWORD);
    log.emit(finished(`${'x'.repeat(OUTPUT_LIMIT_BYTES - 5)}${PASSWORD}tail`));
    log.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(PASSWORD.slice(0, 5));
    expect(text).toContain(`xxxxx${REDACTED.slice(0, 5)}`);
  });

  it('appends, with a timestamp on each entry, writing each event as it comes', async () => {
    const file = path.join(dir, 'append.log');
    await writeFile(file, 'an earlier run\n');
    const log = new RunLog({ file, header: 'meshctl up', now: () => new Date('2025-01-02T03:04:05.000Z') });
    log.emit({ kind: 'connected', host: 'node1', ms: 100 });
    // Before close: nothing is held back in a buffer.
    expect(await readFile(file, 'utf8')).toBe('an earlier run\n2025-01-02T03:04:05.000Z meshctl up\n2025-01-02T03:04:05.000Z node1 connected in 0.10s\n');
    log.close();
  });

  it('refuses a file it cannot open as bad input', () => {
    expect(() => new RunLog({ file: path.join(dir, 'no', 'such', 'dir', 'x.log') })).toThrow(UsageError);
    expect(() => new RunLog({ file: dir })).toThrow(/--log .*: cannot open it for writing/);
  });
});
