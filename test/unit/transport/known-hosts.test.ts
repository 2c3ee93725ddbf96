// known_hosts parsing, matching and the accept-new check, over fixtures built in the test.

import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import {
  checkHostKey,
  entryMatchesHost,
  fingerprint,
  hostKeyFromBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
  type HostKey,
} from '../../../src/transport/known-hosts.js';

/** An SSH wire-format key blob: string type, then a string body (enough for matching). */
function blob(type: string, body: Buffer): Buffer {
  return Buffer.concat([sshString(Buffer.from(type)), sshString(body)]);
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function key(type: string, seed: number): HostKey {
  return hostKeyFromBlob(blob(type, Buffer.alloc(32, seed)));
}

function hashedHost(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

const ED_A = key('ssh-ed25519', 1);
const ED_B = key('ssh-ed25519', 2);
const ECDSA = key('ecdsa-sha2-nistp256', 3);
const RSA = key('ssh-rsa', 4);
const SALT = Buffer.from('0123456789abcdefghij');

const FIXTURE = [
  '# a comment',
  '',
  `web1,10.0.0.1 ${ED_A.type} ${ED_A.base64}`,
  `[10.0.0.2]:2222 ${ED_A.type} ${ED_A.base64} root@web2`,
  `${hashedHost('db1.example.com', SALT)} ${ECDSA.type} ${ECDSA.base64}`,
  `*.lab,!bad.lab ${RSA.type} ${RSA.base64}`,
  `@cert-authority *.example.com ${ED_B.type} ${ED_B.base64}`,
  `@revoked * ${ED_B.type} ${ED_B.base64}`,
  '   # indented comment',
].join('\n');

describe('knownHostsName', () => {
  it('uses the bare name on port 22 and [name]:port elsewhere', () => {
    expect(knownHostsName('Web1.Example.com', 22)).toBe('web1.example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });
});

describe('hostKeyFromBlob', () => {
  it('reads the type from the blob and keeps the blob as base64', () => {
    const raw = blob('ssh-ed25519', Buffer.alloc(32, 9));
    expect(hostKeyFromBlob(raw)).toEqual({ type: 'ssh-ed25519', base64: raw.toString('base64') });
  });

  it('throws on bytes that are not a key blob', () => {
    expect(() => hostKeyFromBlob(Buffer.from([0, 0]))).toThrow();
    expect(() => hostKeyFromBlob(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]))).toThrow();
  });

  it('fingerprints like ssh-keygen -l (SHA256, unpadded base64)', () => {
    expect(fingerprint(ED_A)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprint(ED_A)).not.toBe(fingerprint(ED_B));
  });
});

describe('parseKnownHosts', () => {
  const entries = parseKnownHosts(FIXTURE);

  it('reads every kind of entry with its line number', () => {
    expect(entries.map((e) => [e.line, e.marker, e.hosts.kind, e.key.type])).toEqual([
      [3, null, 'plain', 'ssh-ed25519'],
      [4, null, 'plain', 'ssh-ed25519'],
      [5, null, 'hashed', 'ecdsa-sha2-nistp256'],
      [6, null, 'plain', 'ssh-rsa'],
      [7, 'cert-authority', 'plain', 'ssh-ed25519'],
      [8, 'revoked', 'plain', 'ssh-ed25519'],
    ]);
  });

  it('skips malformed lines without throwing', () => {
    const junk = [
      'onlyhost',
      'host ssh-ed25519',
      `host ssh-ed25519 not*base64`,
      `host ssh-rsa ${ED_A.base64}`, // type disagrees with the blob
      'host 2048 65537 1234567890', // SSH1 RSA
      `@unknown-marker host ${ED_A.type} ${ED_A.base64}`,
      `|1|c2hvcnQ=|c2hvcnQ= ${ED_A.type} ${ED_A.base64}`, // salt and hash too short
      `|2|${SALT.toString('base64')}|x ${ED_A.type} ${ED_A.base64}`,
      '@revoked',
      '\u0000\u0001\uffff garbage',
      `good ${ED_A.type} ${ED_A.base64}`,
    ].join('\n');
    const parsed = parseKnownHosts(junk);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]?.line).toBe(11);
  });

  it('copes with CRLF line ends and a missing final newline', () => {
    const parsed = parseKnownHosts(`a ${ED_A.type} ${ED_A.base64}\r\nb ${ED_B.type} ${ED_B.base64}`);
    expect(parsed.map((e) => e.key)).toEqual([ED_A, ED_B]);
  });
});

describe('entryMatchesHost', () => {
  const [plain, bracketed, hashed, wildcard] = parseKnownHosts(FIXTURE);

  it('matches any name of a comma list, case-insensitively', () => {
    expect(entryMatchesHost(plain!, 'web1')).toBe(true);
    expect(entryMatchesHost(plain!, 'WEB1')).toBe(true);
    expect(entryMatchesHost(plain!, '10.0.0.1')).toBe(true);
    expect(entryMatchesHost(plain!, 'web10')).toBe(false);
  });

  it('matches [host]:port only on that port', () => {
    expect(entryMatchesHost(bracketed!, knownHostsName('10.0.0.2', 2222))).toBe(true);
    expect(entryMatchesHost(bracketed!, knownHostsName('10.0.0.2', 22))).toBe(false);
    expect(entryMatchesHost(bracketed!, knownHostsName('10.0.0.2', 2223))).toBe(false);
  });

  it('matches a hashed entry by HMAC-SHA1 of the name', () => {
    expect(entryMatchesHost(hashed!, 'db1.example.com')).toBe(true);
    expect(entryMatchesHost(hashed!, 'DB1.example.com')).toBe(true);
    expect(entryMatchesHost(hashed!, 'db2.example.com')).toBe(false);
  });

  it('matches a hashed [host]:port entry', () => {
    const name = knownHostsName('127.0.0.1', 2222);
    const [entry] = parseKnownHosts(`${hashedHost(name, randomBytes(20))} ${ED_A.type} ${ED_A.base64}`);
    expect(entryMatchesHost(entry!, name)).toBe(true);
    expect(entryMatchesHost(entry!, '127.0.0.1')).toBe(false);
  });

  it('honours wildcards and negation', () => {
    expect(entryMatchesHost(wildcard!, 'a.lab')).toBe(true);
    expect(entryMatchesHost(wildcard!, 'bad.lab')).toBe(false);
    expect(entryMatchesHost(wildcard!, 'a.lab.evil')).toBe(false);
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts(FIXTURE);

  it('knows a matching key', () => {
    expect(checkHostKey(entries, 'web1', ED_A)).toEqual({ status: 'known', line: 3 });
    expect(checkHostKey(entries, 'db1.example.com', ECDSA)).toEqual({ status: 'known', line: 5 });
  });

  it('reports a different key of the same type as changed, with the old line', () => {
    const otherEcdsa = key('ecdsa-sha2-nistp256', 7);
    expect(checkHostKey(entries, 'db1.example.com', otherEcdsa)).toEqual({ status: 'changed', line: 5, knownKey: ECDSA });
    expect(checkHostKey(entries, '[10.0.0.2]:2222', key('ssh-ed25519', 8))).toMatchObject({ status: 'changed', line: 4 });
  });

  it('treats an unknown host, or a key type not yet recorded, as new (as accept-new does)', () => {
    expect(checkHostKey(entries, 'web9', ED_A)).toEqual({ status: 'new' });
    expect(checkHostKey(entries, 'web1', RSA)).toEqual({ status: 'new' });
    expect(checkHostKey([], 'web1', ED_A)).toEqual({ status: 'new' });
  });

  it('refuses a key marked @revoked and ignores @cert-authority lines', () => {
    expect(checkHostKey(entries, 'web1', ED_B)).toEqual({ status: 'revoked', line: 8 });
    // ED_B is a CA for *.example.com, which does not make it a host key there.
    const withoutRevocation = entries.filter((e) => e.marker !== 'revoked');
    expect(checkHostKey(withoutRevocation, 'x.example.com', ED_B)).toEqual({ status: 'new' });
  });

  it('lists the key types already recorded for a host', () => {
    expect(knownKeyTypes(entries, 'web1')).toEqual(['ssh-ed25519']);
    expect(knownKeyTypes(entries, 'db1.example.com')).toEqual(['ecdsa-sha2-nistp256']);
    expect(knownKeyTypes(entries, 'nowhere')).toEqual([]);
  });
});

describe('verifyHostKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshctl-known-hosts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the directory 0700 and file 0600, records a new host, then knows it', async () => {
    const file = join(dir, 'ssh', 'known_hosts');
    const check = { file, host: 'web1', hostName: '[127.0.0.1]:2222', key: ED_A };
    expect(await verifyHostKey(check)).toBe('added');
    expect(await readFile(file, 'utf8')).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${ED_A.base64}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'ssh'))).mode & 0o777).toBe(0o700);
    expect(await verifyHostKey(check)).toBe('known');
  });

  it('refuses a changed key, naming the host, the file and line, and the fix', async () => {
    const file = join(dir, 'known_hosts');
    await writeFile(file, `# header\nother ${ECDSA.type} ${ECDSA.base64}\n[127.0.0.1]:2222 ${ED_A.type} ${ED_A.base64}\n`);
    const error = await verifyHostKey({ file, host: 'web1', hostName: '[127.0.0.1]:2222', key: ED_B }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ host: 'web1', reason: 'host-key-changed' });
    const message = (error as ConnectError).message;
    expect(message).toContain('web1: ');
    expect(message).toContain('[127.0.0.1]:2222');
    expect(message).toContain(`${file}:3`);
    expect(message).toContain(`remove line 3 from ${file}`);
    expect(message).not.toContain(ED_A.base64);
  });

  it('adds a newline before appending to a file that lacks a final one', async () => {
    const file = join(dir, 'known_hosts');
    await writeFile(file, `a ${ED_A.type} ${ED_A.base64}`);
    await verifyHostKey({ file, host: 'b', hostName: 'b', key: ED_B });
    expect(parseKnownHosts(await readFile(file, 'utf8')).map((e) => e.line)).toEqual([1, 2]);
  });

  it('loses no line when many connections record hosts at once, and records each host once', async () => {
    const file = join(dir, 'known_hosts');
    const names = Array.from({ length: 40 }, (_, i) => `host${i}`);
    const checks = [...names, ...names].map((hostName, i) => verifyHostKey({ file, host: hostName, hostName, key: key('ssh-ed25519', i % 40) }));
    const outcomes = await Promise.all(checks);
    expect(outcomes.filter((o) => o === 'added')).toHaveLength(40);
    const entries = parseKnownHosts(await readFile(file, 'utf8'));
    expect(entries.map((e) => (e.hosts.kind === 'plain' ? e.hosts.patterns[0] : '')).sort()).toEqual([...names].sort());
  });
});
