// OpenSSH known_hosts: parse and match entries (pure), then check a server's key as
// StrictHostKeyChecking=accept-new (or yes, `strict`) does, e.g. verifyHostKey({ file, host: 'web1', hostName: '[10.0.0.5]:2222', key }).

import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConnectError } from '../errors.js';

/** A public host key as known_hosts writes it: `ssh-ed25519 AAAAC3Nz...`. */
export interface HostKey {
  type: string;
  base64: string;
}

export type HostPatterns =
  | { kind: 'plain'; patterns: string[] }
  /** `|1|salt|hash`: HMAC-SHA1 of the host name keyed by the salt. */
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  hosts: HostPatterns;
  key: HostKey;
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'new' }
  | { status: 'changed'; line: number; knownKey: HostKey }
  | { status: 'revoked'; line: number };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SHA1_BYTES = 20;

/** The name known_hosts files a host under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  const name = address.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Parses a known_hosts file; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const entry = parseLine(raw, index + 1);
    if (entry !== null) entries.push(entry);
  });
  return entries;
}

function parseLine(raw: string, line: number): KnownHostEntry | null {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return null;
  const fields = text.split(/\s+/);
  let marker: KnownHostEntry['marker'] = null;
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return null;
  }
  const [hostField, type, base64] = fields;
  if (hostField === undefined || type === undefined || base64 === undefined) return null;
  if (!BASE64.test(base64)) return null;
  // The key blob names its own type; a line whose two disagree is corrupt (or an SSH1 key).
  if (keyTypeOfBlob(Buffer.from(base64, 'base64')) !== type) return null;
  const hosts = parseHostField(hostField);
  if (hosts === null) return null;
  return { line, marker, hosts, key: { type, base64 } };
}

function parseHostField(field: string): HostPatterns | null {
  if (!field.startsWith('|')) return { kind: 'plain', patterns: field.split(',').filter((p) => p !== '') };
  const [, version, salt, hash] = field.split('|');
  if (version !== '1' || salt === undefined || hash === undefined) return null;
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  if (saltBytes.length !== SHA1_BYTES || hashBytes.length !== SHA1_BYTES) return null;
  return { kind: 'hashed', salt: saltBytes, hash: hashBytes };
}

/** The type string at the start of an SSH wire-format key blob, or null when it is not one. */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** Turns the raw key ssh2's hostVerifier receives into its known_hosts form. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const type = keyTypeOfBlob(blob);
  if (type === null) throw new Error('the server sent a host key that is not an SSH key blob');
  return { type, base64: blob.toString('base64') };
}

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprint(key: HostKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** Whether an entry applies to hostName (as made by knownHostsName). */
export function entryMatchesHost(entry: KnownHostEntry, hostName: string): boolean {
  const name = hostName.toLowerCase();
  if (entry.hosts.kind === 'hashed') {
    const hash = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return hash.equals(entry.hosts.hash);
  }
  // OpenSSH pattern lists: any negated match excludes the host, else any positive match includes it.
  let matched = false;
  for (const pattern of entry.hosts.patterns) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(name);
}

function sameKey(a: HostKey, b: HostKey): boolean {
  return a.type === b.type && Buffer.from(a.base64, 'base64').equals(Buffer.from(b.base64, 'base64'));
}

/**
 * Judges the key a server presented against the entries for its name, as OpenSSH does: a revoked
 * key is refused; the same key is known; another key of the same type means it changed; a host
 * without a key of this type is new (accept-new then records it).
 */
export function checkHostKey(entries: readonly KnownHostEntry[], hostName: string, key: HostKey): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, hostName));
  const revoked = forHost.find((e) => e.marker === 'revoked' && sameKey(e.key, key));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = forHost.filter((e) => e.marker === null);
  const known = plain.find((e) => sameKey(e.key, key));
  if (known) return { status: 'known', line: known.line };
  const changed = plain.find((e) => e.key.type === key.type);
  if (changed) return { status: 'changed', line: changed.line, knownKey: changed.key };
  return { status: 'new' };
}

/** Key types already recorded for hostName, so the handshake can ask for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], hostName: string): string[] {
  const types = entries.filter((e) => e.marker === null && entryMatchesHost(e, hostName)).map((e) => e.key.type);
  return [...new Set(types)];
}

export function formatKnownHostsLine(hostName: string, key: HostKey): string {
  return `${hostName} ${key.type} ${key.base64}`;
}

// ---- I/O -------------------------------------------------------------------------------------

// One queue per file: connections to many hosts check and append at once, and a
// read-check-append must not interleave with another one on the same file.
const fileQueues = new Map<string, Promise<unknown>>();

function queuedForFile<T>(file: string, work: () => Promise<T>): Promise<T> {
  const key = resolve(file);
  const previous = fileQueues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  fileQueues.set(key, settled);
  void settled.then(() => {
    if (fileQueues.get(key) === settled) fileQueues.delete(key);
  });
  return next;
}

async function readTextIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  return parseKnownHosts(await readTextIfExists(file));
}

export interface HostKeyCheck {
  /** known_hosts path (already `~`-expanded). */
  file: string;
  /** Inventory name, for the error. */
  host: string;
  /** As made by knownHostsName. */
  hostName: string;
  key: HostKey;
  /** accept-new records a key not seen before; strict refuses it. */
  policy?: 'accept-new' | 'strict';
}

/**
 * Accepts a known key, records an unknown one (creating the file 0600 and its directory 0700)
 * or, with policy strict, throws ConnectError 'host-key-unknown' for it, and throws
 * ConnectError 'host-key-changed' for a changed or revoked key.
 */
export async function verifyHostKey(check: HostKeyCheck): Promise<'known' | 'added'> {
  return queuedForFile(check.file, async () => {
    const text = await readTextIfExists(check.file);
    const verdict = checkHostKey(parseKnownHosts(text), check.hostName, check.key);
    switch (verdict.status) {
      case 'known':
        return 'known';
      case 'changed':
        throw new ConnectError(check.host, 'host-key-changed', changedKeyMessage(check, verdict.line));
      case 'revoked':
        throw new ConnectError(
          check.host,
          'host-key-changed',
          `${check.hostName} presented ${check.key.type} key ${fingerprint(check.key)}, which ` +
            `${check.file}:${verdict.line} marks as @revoked; refusing to connect.`,
        );
      case 'new': {
        if (check.policy === 'strict') {
          throw new ConnectError(
            check.host,
            'host-key-unknown',
            `${check.hostName} presented ${check.key.type} key ${fingerprint(check.key)}, which is not in ${check.file}, and ` +
              `ssh.host_key_checking is strict: check the fingerprint, then add the key (ssh-keyscan ${check.hostName.replace(/^\[(.*)\]:(\d+)$/, '-p $2 $1')} >> ${check.file})`,
          );
        }
        await mkdir(dirname(check.file), { recursive: true, mode: 0o700 });
        const separator = text === '' || text.endsWith('\n') ? '' : '\n';
        const line = formatKnownHostsLine(check.hostName, check.key);
        await appendFile(check.file, `${separator}${line}\n`, { mode: 0o600 });
        return 'added';
      }
    }
  });
}

function changedKeyMessage(check: HostKeyCheck, line: number): string {
  return (
    `host key for ${check.hostName} has changed: it presented ${check.key.type} key ` +
    `${fingerprint(check.key)}, but ${check.file}:${line} holds a different ${check.key.type} key. ` +
    `Someone may be intercepting the connection, or the host was reinstalled. If the change is ` +
    `expected, remove line ${line} from ${check.file} ` +
    `(ssh-keygen -R '${check.hostName}' -f ${check.file}) and connect again.`
  );
}
