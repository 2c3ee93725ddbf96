// shellQuote/shellJoin: exact strings, and a round trip through a real /bin/sh.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../../src/transport/quote.js';

/** What sh hands to a command for this command line, one argument per element. */
function argvSeenBySh(commandLine: string): string[] {
  const result = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.split('\0').slice(0, -1);
}

const AWKWARD = [
  '',
  ' ',
  "it's",
  "''",
  '"double"',
  '$HOME',
  '${HOME}',
  '$(id -u)',
  '`id -u`',
  'a\nb',
  'tab\there',
  'back\\slash',
  'glob*?[a]',
  '~',
  '~root',
  'A=b',
  '-n',
  '!',
  '#comment',
  ';|&<>(){}',
  'ünïcødé ✓',
  '\u0001\u007f',
];

describe('shellQuote', () => {
  it('leaves plain words alone', () => {
    expect(shellQuote('eth0')).toBe('eth0');
    expect(shellQuote('/usr/sbin/ip')).toBe('/usr/sbin/ip');
    expect(shellQuote('10.0.0.1/24')).toBe('10.0.0.1/24');
    expect(shellQuote('--may-exist')).toBe('--may-exist');
  });

  it('single-quotes everything else', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    // `=` and `~` would turn a word into an assignment or a home directory.
    expect(shellQuote('A=b')).toBe("'A=b'");
    expect(shellQuote('~')).toBe("'~'");
  });

  it('refuses a NUL byte instead of truncating', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it.each(AWKWARD.map((s) => [JSON.stringify(s), s]))('%s reaches sh as one identical word', (_, arg) => {
    expect(argvSeenBySh(shellQuote(arg))).toEqual([arg]);
  });
});

describe('shellJoin', () => {
  it('quotes each argument and joins with spaces', () => {
    expect(shellJoin(['ip', 'link', 'set', 'dev', 'my link', 'up'])).toBe("ip link set dev 'my link' up");
    expect(shellJoin([])).toBe('');
  });

  it('round-trips every awkward argument at once', () => {
    expect(argvSeenBySh(shellJoin(AWKWARD))).toEqual(AWKWARD);
  });

  it('round-trips random printable and control characters', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const args = Array.from({ length: 30 }, () =>
      Array.from({ length: random(12) }, () => String.fromCharCode(1 + random(126))).join(''),
    );
    expect(argvSeenBySh(shellJoin(args))).toEqual(args);
  });
});
