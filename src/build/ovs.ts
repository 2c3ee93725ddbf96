// Builds Open vSwitch packages on one build host over its meshctl session, or takes them from the
// controller's cache: probe the host (PROBE_SCRIPT), bring the source there and learn what it is
// (SOURCE_SCRIPT), compute the cache key; on a hit, done; else upload a local tarball, run the
// build script with its log streamed line by line, fetch the packages back, check their SHA-256
// and store them in the cache. A failed build ends with the log's last lines and keeps the work
// directory on the host for a look.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TaskError } from '../errors.js';
import type { PackageFormat } from '../packages/package-file.js';
import type { Connection } from '../transport/connection.js';
import { aptSourcesForBuild } from './apt-sources.js';
import { buildLogPath, cacheKey, findCachedBuild, sha256Hex, storeBuild, type BuildRecord, type CachedBuild, type CacheKeyParts } from './cache.js';
import { parseBuildHostFacts, parseBuiltList, parseSourceIdentity, ProbeError, type BuildHostFacts } from './probe.js';
import { BUILD_WORK_DIR, buildScript, isFetched, LIST_SCRIPT, PROBE_SCRIPT, SOURCE_SCRIPT, SOURCE_TARBALL } from './scripts.js';
import type { BuildSource } from './source.js';

/** Lines of the log shown when a build fails. */
export const FAILURE_TAIL_LINES = 30;

const PROBE_TIMEOUT_MS = 2 * 60_000;
// The source step downloads apt's source indexes or the tarball.
const SOURCE_TIMEOUT_MS = 20 * 60_000;
const FETCH_TIMEOUT_MS = 10 * 60_000;

export interface BuildRequest {
  source: BuildSource;
  format: PackageFormat;
}

export interface BuildEnvironment {
  cacheRoot: string;
  /** Each line of progress: meshctl's own steps and the build log's lines. */
  log: (line: string) => void;
  now?: () => Date;
}

export interface BuildOutcome {
  build: CachedBuild;
  cacheHit: boolean;
  seconds: number;
}

/** What the request is, as build.json records it: plan and down find a build by it without the host. */
export async function requestIdentity(source: BuildSource): Promise<string> {
  switch (source.kind) {
    case 'distro':
      return 'distro';
    case 'url':
      return source.url;
    case 'file':
      return `sha256:${sha256Hex(await readTarball(source.path))}`;
  }
}

export async function buildOvs(conn: Connection, request: BuildRequest, env: BuildEnvironment): Promise<BuildOutcome> {
  const started = performance.now();
  const host = conn.host;
  const fail = (detail: string): never => {
    throw new TaskError(host, 'build ovs', detail);
  };
  const facts = await probe(conn, fail);
  if (!facts.hasApt) fail(`${facts.distro} ${facts.release} has no apt: the build host must be of the Debian family (rpm packages are built there with Debian's rpm tools)`);
  const binaryAndSource = aptSourcesForBuild(facts.aptSources, facts.codename, ['deb', 'deb-src']);
  const sourceOnly = aptSourcesForBuild(facts.aptSources, facts.codename, ['deb-src']);
  if (binaryAndSource === null || sourceOnly === null) fail(`no apt repository for ${facts.codename || 'its release'} in /etc/apt: the build takes its dependencies from there`);
  const tarball = request.source.kind === 'file' ? await readTarball(request.source.path) : undefined;

  env.log(`${host}: ${facts.distro} ${facts.release} ${facts.arch}, ${facts.cpus} CPU(s); looking at the source`);
  const sourceArgs = request.source.kind === 'distro' ? [sourceOnly ?? ''] : request.source.kind === 'url' ? [request.source.url] : [];
  const sourceStep = await conn.exec(['sh', '-c', SOURCE_SCRIPT, 'build-source', BUILD_WORK_DIR, request.source.kind, ...sourceArgs], { become: true, timeoutMs: SOURCE_TIMEOUT_MS });
  if (sourceStep.code !== 0) fail(`could not bring the source to the build host:\n${lastLines(sourceStep.stderr || sourceStep.stdout, FAILURE_TAIL_LINES)}`);
  const identity = tarball !== undefined ? { sha256: sha256Hex(tarball) } : parseOrFail(() => parseSourceIdentity(sourceStep.stdout), fail);
  const parts: CacheKeyParts = {
    source: 'dsc' in identity ? `dsc:${identity.dsc}` : `sha256:${identity.sha256}`,
    format: request.format,
    distro: facts.distro,
    release: facts.release,
    arch: facts.arch,
    recipe: recipeHash(request.format),
  };
  const key = cacheKey(parts);

  const cached = await findCachedBuild(env.cacheRoot, key);
  if (cached !== undefined) {
    await removeWorkDir(conn);
    env.log(`cache hit: ${key} (built ${cached.record.builtAt} on ${cached.record.buildHost} in ${cached.record.seconds}s); nothing rebuilt`);
    return { build: cached, cacheHit: true, seconds: elapsed(started) };
  }

  env.log(`cache miss: ${key}; building ${request.format} packages on ${host}`);
  if (tarball !== undefined) await conn.putFile(`${BUILD_WORK_DIR}/${SOURCE_TARBALL}`, tarball, { become: true, mode: 0o600 });
  const logFile = buildLogPath(env.cacheRoot, key);
  await mkdir(path.dirname(logFile), { recursive: true });
  await writeFile(logFile, '');
  const origin = request.source.kind === 'distro' ? 'distro' : 'tarball';
  const dsc = 'dsc' in identity ? identity.dsc : '';
  const result = await streamBuild(conn, ['sh', '-c', buildScript(request.format), 'build-ovs', BUILD_WORK_DIR, origin, String(facts.cpus), binaryAndSource ?? '', dsc], logFile, env.log);
  if (result.code !== 0) {
    fail(
      `the build failed (exit ${result.code ?? result.signal}); its last ${FAILURE_TAIL_LINES} lines:\n${result.tail.join('\n')}\n` +
        `The whole log: ${logFile}; the work directory is left on ${host} in ${BUILD_WORK_DIR}.`,
    );
  }

  const built = parseBuiltList((await conn.exec(['sh', '-c', LIST_SCRIPT, 'list-built', BUILD_WORK_DIR], { become: true })).stdout).filter((file) => isFetched(file.name));
  if (built.length === 0) fail(`the build finished but made no ${request.format} package (see ${logFile})`);
  const seconds = elapsed(started);
  const record: BuildRecord = {
    key,
    parts,
    // A local tarball is in memory and hashed already: requestIdentity would read and hash it again.
    request: 'sha256' in identity && request.source.kind === 'file' ? `sha256:${identity.sha256}` : await requestIdentity(request.source),
    buildHost: host,
    builtAt: (env.now?.() ?? new Date()).toISOString(),
    seconds,
    files: built.map((file) => file.name),
  };
  const stored = await storeBuild(env.cacheRoot, record, async (packagesDir) => {
    for (const file of built) {
      env.log(`fetching ${file.name}`);
      const fetched = await conn.exec(['base64', '-w0', '--', `${BUILD_WORK_DIR}/out/${file.name}`], { become: true, timeoutMs: FETCH_TIMEOUT_MS });
      const bytes = Buffer.from(fetched.stdout, 'base64');
      if (fetched.code !== 0 || sha256Hex(bytes) !== file.sha256) fail(`fetching ${file.name} from the build host failed: ${fetched.stderr.trim() || 'its SHA-256 did not match'}`);
      await writeFile(path.join(packagesDir, file.name), bytes);
    }
  });
  await removeWorkDir(conn);
  env.log(`built ${built.length} package(s) in ${seconds}s: ${stored.packagesDir}`);
  return { build: stored, cacheHit: false, seconds };
}

async function probe(conn: Connection, fail: (detail: string) => never): Promise<BuildHostFacts> {
  const result = await conn.execScript(PROBE_SCRIPT, { become: false, timeoutMs: PROBE_TIMEOUT_MS });
  if (result.code !== 0) fail(`could not read the build host's facts: ${result.stderr.trim() || `exit ${result.code}`}`);
  return parseOrFail(() => parseBuildHostFacts(result.stdout), fail);
}

function parseOrFail<T>(parse: () => T, fail: (detail: string) => never): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ProbeError) fail(error.message);
    throw error;
  }
}

/** The scripts are part of the key: a changed recipe makes a new build. */
export function recipeHash(format: PackageFormat): string {
  return sha256Hex(`${SOURCE_SCRIPT}\n${buildScript(format)}`);
}

interface StreamedResult {
  code: number | null;
  signal: string | null;
  tail: string[];
}

/** Runs the build with no timeout (it takes as long as it takes), each line logged, shown and kept for the tail. */
async function streamBuild(conn: Connection, argv: string[], logFile: string, show: (line: string) => void): Promise<StreamedResult> {
  const running = await conn.start(argv, { become: true });
  const tail = new TailLines(FAILURE_TAIL_LINES);
  let pending: string[] = [];
  for (let line = await running.nextLine(); line !== null; line = await running.nextLine()) {
    show(`  ${line}`);
    tail.push(line);
    pending.push(line);
    if (pending.length >= 200) {
      await appendFile(logFile, `${pending.join('\n')}\n`);
      pending = [];
    }
  }
  if (pending.length > 0) await appendFile(logFile, `${pending.join('\n')}\n`);
  const result = await running.exited;
  return { code: result.code, signal: result.signal, tail: tail.lines() };
}

/** The last `size` lines pushed. */
export class TailLines {
  private readonly kept: string[] = [];

  constructor(private readonly size: number) {}

  push(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.size) this.kept.shift();
  }

  lines(): string[] {
    return [...this.kept];
  }
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

async function removeWorkDir(conn: Connection): Promise<void> {
  await conn.exec(['rm', '-rf', '--', BUILD_WORK_DIR], { become: true });
}

async function readTarball(file: string): Promise<Buffer> {
  return readFile(file);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}
