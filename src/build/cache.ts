// The controller's cache of Open vSwitch builds: one directory per build under
// ${XDG_CACHE_HOME:-~/.cache}/meshctl/ovs-builds/<key>/, holding packages/ (the files fetched from
// the build host) and build.json (what was built, from what, when, in how long). The key is
// known before anything is built: the source (the .dsc apt would fetch, or the tarball's SHA-256),
// the format, the build host's distribution, release and architecture, and the build script
// itself (a changed recipe is a new build).
//   cacheKey({ source: 'dsc:openvswitch_3.1.0-2.dsc', format: 'deb', distro: 'debian', release: '12', arch: 'amd64', recipe })
//   → 'deb-debian12-amd64-3.1.0-2-5f0c…' (16 hex digits of the parts' hash)
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PackageFormat } from '../packages/package-file.js';

export interface CacheKeyParts {
  /** `dsc:openvswitch_3.1.0-2+deb12u1.dsc` or `sha256:HEX` (the tarball). */
  source: string;
  format: PackageFormat;
  distro: string;
  release: string;
  arch: string;
  /** SHA-256 of the scripts that build it. */
  recipe: string;
}

export function cacheKey(parts: CacheKeyParts): string {
  const hash = createHash('sha256').update(JSON.stringify([parts.source, parts.format, parts.distro, parts.release, parts.arch, parts.recipe])).digest('hex');
  const version = parts.source.startsWith('dsc:') ? parts.source.slice('dsc:openvswitch_'.length).replace(/\.dsc$/, '') : parts.source.slice('sha256:'.length, 'sha256:'.length + 12);
  const label = [parts.format, `${parts.distro}${parts.release}`, parts.arch, version].map((word) => word.replace(/[^A-Za-z0-9.+~_-]/g, '_')).join('-');
  return `${label}-${hash.slice(0, 16)}`;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** XDG's cache home, else ~/.cache (the XDG Base Directory specification's default). */
export function buildCacheRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const xdg = env['XDG_CACHE_HOME'];
  // The specification: a relative path in the variable is invalid and is ignored.
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
  return path.join(base, 'meshctl', 'ovs-builds');
}

export interface CachedBuild {
  key: string;
  dir: string;
  /** The packages directory: what `--out` gets and `up` ships from. */
  packagesDir: string;
  record: BuildRecord;
}

/** build.json */
export interface BuildRecord {
  key: string;
  parts: CacheKeyParts;
  /** What the inventory or --source said: `distro`, the URL, or `sha256:HEX` of a local tarball. */
  request: string;
  buildHost: string;
  builtAt: string;
  seconds: number;
  files: string[];
}

const RECORD = 'build.json';
const PACKAGES = 'packages';

export async function findCachedBuild(root: string, key: string): Promise<CachedBuild | undefined> {
  const dir = path.join(root, key);
  const record = await readRecord(dir);
  return record === undefined ? undefined : { key, dir, packagesDir: path.join(dir, PACKAGES), record };
}

/**
 * The newest cached build for what the inventory asks (its request and format), without asking
 * the build host anything: what `plan`, `up --check` and `down` use.
 */
export async function newestCachedBuild(root: string, request: string, format: PackageFormat): Promise<CachedBuild | undefined> {
  const names = await readdir(root).catch(() => [] as string[]);
  const found: CachedBuild[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const cached = await findCachedBuild(root, name);
    if (cached !== undefined && cached.record.request === request && cached.record.parts.format === format) found.push(cached);
  }
  return found.sort((a, b) => b.record.builtAt.localeCompare(a.record.builtAt))[0];
}

async function readRecord(dir: string): Promise<BuildRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path.join(dir, RECORD), 'utf8')) as BuildRecord;
    const files = await readdir(path.join(dir, PACKAGES));
    // A record whose packages are not all there is no build (a directory emptied by hand).
    return record.files.length > 0 && record.files.every((file) => files.includes(file)) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stores a build: `write` fills a fresh directory's packages/, then build.json is written and the
 * directory renamed to its key, so a build cut short never looks like a cached one.
 */
export async function storeBuild(root: string, record: BuildRecord, write: (packagesDir: string) => Promise<void>): Promise<CachedBuild> {
  await mkdir(root, { recursive: true });
  const staging = path.join(root, `.partial-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(path.join(staging, PACKAGES), { recursive: true });
    await write(path.join(staging, PACKAGES));
    await writeFile(path.join(staging, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    const dir = path.join(root, record.key);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return { key: record.key, dir, packagesDir: path.join(dir, PACKAGES), record };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Where a build's log is kept on the controller, also when it failed. */
export function buildLogPath(root: string, key: string): string {
  return path.join(root, 'logs', `${key}.log`);
}

/** Empties the cache; says how many builds and bytes it held. */
export async function pruneCache(root: string): Promise<{ builds: number; bytes: number }> {
  const names = await readdir(root).catch(() => [] as string[]);
  let builds = 0;
  for (const name of names) if (!name.startsWith('.') && name !== 'logs') builds++;
  const bytes = await sizeOf(root);
  await rm(root, { recursive: true, force: true });
  return { builds, bytes };
}

async function sizeOf(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(target)) total += await sizeOf(path.join(target, name));
  return total;
}
