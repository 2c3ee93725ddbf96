// What a package file on the controller is (name, version, architecture), read from the file
// itself rather than its name: `ovs.source: { packages: DIR }` ships a file only to hosts that do
// not have that exact version installed, which must be known before anything is uploaded.
//   .deb: an ar archive whose control.tar(.gz|.xz|.zst) holds ./control (deb(5));
//   .rpm: a lead, a signature header and a header whose tags name the package (the RPM file format).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';

export type PackageFormat = 'deb' | 'rpm';

export interface PackageFile {
  /** Absolute path on the controller. */
  path: string;
  format: PackageFormat;
  name: string;
  /** As the host's package database spells it: deb `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`. */
  version: string;
  /** deb: amd64, all...; rpm: x86_64, noarch... */
  arch: string;
  size: number;
  sha256: string;
}

export class PackageFileError extends Error {}

/** Synchronous: the inventory loader reads these with the other files it refers to. */
export function readPackageFile(path: string): PackageFile {
  const bytes = readFileSync(path);
  const format: PackageFormat | undefined = path.endsWith('.deb') ? 'deb' : path.endsWith('.rpm') ? 'rpm' : undefined;
  if (format === undefined) throw new PackageFileError(`${basename(path)}: not a .deb or .rpm file`);
  const fields = identify(format, bytes);
  return { path, format, ...fields, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

type Identity = Pick<PackageFile, 'name' | 'version' | 'arch'>;

function identify(format: PackageFormat, bytes: Buffer): Identity {
  try {
    return format === 'deb' ? debFields(bytes) : rpmFields(bytes);
  } catch (error) {
    // A read past the end: the file was cut short (an interrupted download).
    if (error instanceof RangeError) throw new PackageFileError(`not a whole ${format} package: the file ends early`);
    throw error;
  }
}

function debFields(bytes: Buffer): Identity {
  const member = arMembers(bytes).find((m) => /^control\.tar(\.(gz|xz|zst))?$/.test(m.name));
  if (member === undefined) throw new PackageFileError('not a Debian package: no control.tar member');
  const control = tarFile(decompress(member.name, member.data), 'control');
  if (control === undefined) throw new PackageFileError('not a Debian package: control.tar has no control file');
  const fields = new Map<string, string>();
  for (const line of control.toString('utf8').split('\n')) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (match !== null) fields.set(match[1]?.toLowerCase() ?? '', match[2]?.trim() ?? '');
  }
  const [name, version, arch] = ['package', 'version', 'architecture'].map((key) => fields.get(key));
  if (name === undefined || version === undefined || arch === undefined) {
    throw new PackageFileError('not a Debian package: its control file lacks Package, Version or Architecture');
  }
  return { name, version, arch };
}

/** The members of an ar archive (`!<arch>\n`, then 60-byte headers, each member padded to even). */
function arMembers(bytes: Buffer): { name: string; data: Buffer }[] {
  if (bytes.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new PackageFileError('not a Debian package: not an ar archive');
  const members: { name: string; data: Buffer }[] = [];
  for (let at = 8; at + 60 <= bytes.length; ) {
    const header = bytes.subarray(at, at + 60).toString('latin1');
    const size = Number(header.slice(48, 58).trim());
    if (!Number.isInteger(size) || header.slice(58, 60) !== '`\n') throw new PackageFileError('not a Debian package: a damaged ar header');
    members.push({ name: header.slice(0, 16).trim().replace(/\/$/, ''), data: bytes.subarray(at + 60, at + 60 + size) });
    at += 60 + size + (size % 2);
  }
  return members;
}

function decompress(name: string, data: Buffer): Buffer {
  if (name.endsWith('.gz')) return gunzipSync(data);
  if (!name.endsWith('.xz') && !name.endsWith('.zst')) return data;
  // Node has no xz or zstd of its own; every Linux controller that handles packages has these.
  const tool = name.endsWith('.xz') ? 'xz' : 'zstd';
  const run = spawnSync(tool, ['-dc'], { input: data, maxBuffer: 64 * 1024 * 1024 });
  if (run.error !== undefined || run.status !== 0) {
    throw new PackageFileError(`cannot read ${name} without the ${tool} command on this machine: ${run.error?.message ?? run.stderr.toString().trim()}`);
  }
  return run.stdout;
}

/** A regular file of a tar archive, by name (`./control` or `control`). */
function tarFile(tar: Buffer, wanted: string): Buffer | undefined {
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) return undefined;
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (name.replace(/^\.\//, '') === wanted && (type === '0' || type === '\0')) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

const RPM_LEAD_BYTES = 96;
const RPM_HEADER_MAGIC = 0x8eade801;
const RPM_TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, arch: 1022 } as const;
const RPM_STRING = 6;
const RPM_INT32 = 4;

function rpmFields(bytes: Buffer): Identity {
  if (bytes.readUInt32BE(0) !== 0xedabeedb) throw new PackageFileError('not an RPM package: no RPM lead');
  const signature = rpmHeader(bytes, RPM_LEAD_BYTES);
  // The signature header is padded to a multiple of 8; the package's own header follows.
  const main = rpmHeader(bytes, RPM_LEAD_BYTES + Math.ceil(signature.length / 8) * 8);
  const name = main.string(RPM_TAG.name);
  const version = main.string(RPM_TAG.version);
  const release = main.string(RPM_TAG.release);
  const arch = main.string(RPM_TAG.arch);
  if (name === undefined || version === undefined || release === undefined || arch === undefined) {
    throw new PackageFileError('not an RPM package: its header lacks the name, version, release or architecture');
  }
  const epoch = main.int32(RPM_TAG.epoch);
  return { name, version: `${epoch === undefined ? '' : `${epoch}:`}${version}-${release}`, arch };
}

function rpmHeader(bytes: Buffer, at: number): { length: number; string(tag: number): string | undefined; int32(tag: number): number | undefined } {
  if (at + 16 > bytes.length || bytes.readUInt32BE(at) !== RPM_HEADER_MAGIC) throw new PackageFileError('not an RPM package: a damaged header');
  const count = bytes.readUInt32BE(at + 8);
  const dataBytes = bytes.readUInt32BE(at + 12);
  const store = at + 16 + count * 16;
  const entries = new Map<number, { type: number; offset: number }>();
  for (let i = 0; i < count; i++) {
    const entry = at + 16 + i * 16;
    entries.set(bytes.readUInt32BE(entry), { type: bytes.readUInt32BE(entry + 4), offset: bytes.readUInt32BE(entry + 8) });
  }
  return {
    length: 16 + count * 16 + dataBytes,
    string(tag) {
      const entry = entries.get(tag);
      if (entry?.type !== RPM_STRING) return undefined;
      const start = store + entry.offset;
      return bytes.subarray(start, bytes.indexOf(0, start)).toString('utf8');
    },
    int32(tag) {
      const entry = entries.get(tag);
      return entry?.type === RPM_INT32 ? bytes.readUInt32BE(store + entry.offset) : undefined;
    },
  };
}
