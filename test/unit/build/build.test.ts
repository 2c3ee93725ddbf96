// The pure parts of `meshctl build ovs`: the build's apt sources, the probe's parsers, the cache
// key and cache, the spec's sed (run by the real sed over a spec's Requires lines), the generated
// scripts (parsed by the real sh), the flags, and the whole build over a fake host.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aptSourcesForBuild } from '../../../src/build/apt-sources.js';
import { buildCacheRoot, cacheKey, findCachedBuild, newestCachedBuild, pruneCache, sha256Hex, type CacheKeyParts } from '../../../src/build/cache.js';
import { buildOvs, FAILURE_TAIL_LINES, recipeHash } from '../../../src/build/ovs.js';
import { dscVersion, parseBuildHostFacts, parseBuiltList, parseSourceIdentity } from '../../../src/build/probe.js';
import { buildScript, isFetched, KMOD_SED, LIST_SCRIPT, PROBE_SCRIPT, SOURCE_SCRIPT } from '../../../src/build/scripts.js';
import { buildHostOf } from '../../../src/build/session.js';
import { buildArguments } from '../../../src/commands/build.js';
import { TaskError } from '../../../src/errors.js';
import type { Host } from '../../../src/inventory/types.js';
import type { Connection, ExecResult, RunningCommand } from '../../../src/transport/connection.js';

const BOOKWORM_LIST = `# deb cdrom:[Debian]/ bookworm main
deb http://deb.debian.org/debian bookworm main contrib
deb [signed-by=/usr/share/keyrings/x.gpg] http://deb.debian.org/debian-security bookworm-security main
deb http://deb.debian.org/debian bullseye main
deb-src http://deb.debian.org/debian bookworm main
deb file:/srv/local ./
`;

describe('the build apt sources', () => {
  it("keeps the host's repositories for its release, with their options, as deb and deb-src lines", () => {
    expect(aptSourcesForBuild([{ name: 'sources.list', text: BOOKWORM_LIST }], 'bookworm', ['deb', 'deb-src'])).toBe(
      [
        'deb http://deb.debian.org/debian bookworm main contrib',
        'deb-src http://deb.debian.org/debian bookworm main contrib',
        'deb [signed-by=/usr/share/keyrings/x.gpg] http://deb.debian.org/debian-security bookworm-security main',
        'deb-src [signed-by=/usr/share/keyrings/x.gpg] http://deb.debian.org/debian-security bookworm-security main',
        '',
      ].join('\n'),
    );
  });

  it('reads deb822 files (trixie) and skips disabled stanzas and inline keys', () => {
    const sources = `Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://example.org/off
Suites: trixie
Components: main
Enabled: no

Types: deb
URIs: http://example.org/inline
Suites: trixie
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----
`;
    expect(aptSourcesForBuild([{ name: 'debian.sources', text: sources }], 'trixie', ['deb-src'])?.split('\n')).toEqual([
      'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main',
      'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-updates main',
      '',
    ]);
  });

  it('is null when no repository serves the release', () => {
    expect(aptSourcesForBuild([{ name: 'sources.list', text: BOOKWORM_LIST }], 'trixie', ['deb'])).toBeNull();
  });
});

describe("the probe's parsers", () => {
  it('reads the facts and the apt sources files', () => {
    const stdout = `arch=amd64\nid=debian\nversion_id=12\ncodename=bookworm\nnproc=2\napt=yes\nsources=sources.list ${Buffer.from(BOOKWORM_LIST).toString('base64')}\n`;
    expect(parseBuildHostFacts(stdout)).toEqual({ arch: 'amd64', distro: 'debian', release: '12', codename: 'bookworm', cpus: 2, hasApt: true, aptSources: [{ name: 'sources.list', text: BOOKWORM_LIST }] });
  });

  it('refuses output without an architecture or distribution', () => {
    expect(() => parseBuildHostFacts('nproc=2\n')).toThrow(/architecture and distribution/);
  });

  it('reads which source the host has, and the built list', () => {
    expect(parseSourceIdentity('Reading package lists...\ndsc=openvswitch_3.1.0-2+deb12u1.dsc\n')).toEqual({ dsc: 'openvswitch_3.1.0-2+deb12u1.dsc' });
    expect(parseSourceIdentity(`sha256=${'a'.repeat(64)}\n`)).toEqual({ sha256: 'a'.repeat(64) });
    expect(() => parseSourceIdentity('dsc=\n')).toThrow(/which source/);
    expect(dscVersion('openvswitch_3.1.0-2+deb12u1.dsc')).toBe('3.1.0-2+deb12u1');
    expect(parseBuiltList(`${'b'.repeat(64)}  openvswitch-switch_3.1.0-2_amd64.deb\nnoise\n`)).toEqual([{ sha256: 'b'.repeat(64), name: 'openvswitch-switch_3.1.0-2_amd64.deb' }]);
  });
});

describe('the cache key', () => {
  const parts: CacheKeyParts = { source: 'dsc:openvswitch_3.1.0-2.dsc', format: 'deb', distro: 'debian', release: '12', arch: 'amd64', recipe: recipeHash('deb') };

  it('names the build readably and changes with every part', () => {
    const key = cacheKey(parts);
    expect(key).toMatch(/^deb-debian12-amd64-3\.1\.0-2-[0-9a-f]{16}$/);
    const variants: Partial<CacheKeyParts>[] = [{ source: 'dsc:openvswitch_3.1.0-3.dsc' }, { format: 'rpm' }, { release: '13' }, { arch: 'arm64' }, { distro: 'ubuntu' }, { recipe: recipeHash('rpm') }];
    const keys = variants.map((change) => cacheKey({ ...parts, ...change }));
    expect(new Set([key, ...keys]).size).toBe(variants.length + 1);
    expect(cacheKey({ ...parts, source: `sha256:${'c'.repeat(64)}` })).toMatch(/^deb-debian12-amd64-cccccccccccc-/);
  });

  it('lives under XDG_CACHE_HOME when it is absolute, else ~/.cache', () => {
    expect(buildCacheRoot({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe('/x/cache/meshctl/ovs-builds');
    expect(buildCacheRoot({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/meshctl/ovs-builds');
    expect(buildCacheRoot({}, '/home/u')).toBe('/home/u/.cache/meshctl/ovs-builds');
  });
});

describe("the spec's kmod sed", () => {
  const spec = `Name: openvswitch
Requires: openvswitch-kmod
Requires: openssl, openvswitch-kmod >= 2.5, iproute
Requires: hostname, openvswitch-kmod
Requires(post): /bin/sed
BuildRequires: openvswitch-kmod-devel-not-touched-here
%description
needs openvswitch-kmod at run time
`;
  it('takes the kernel module out of every Requires line and leaves the rest', () => {
    const result = spawnSync('sed', [...KMOD_SED], { input: spec, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`Name: openvswitch
Requires: openssl, iproute
Requires: hostname
Requires(post): /bin/sed
BuildRequires: openvswitch-kmod-devel-not-touched-here
%description
needs openvswitch-kmod at run time
`);
  });
});

describe('the generated scripts', () => {
  it.each([
    ['probe', PROBE_SCRIPT],
    ['source', SOURCE_SCRIPT],
    ['deb build', buildScript('deb')],
    ['rpm build', buildScript('rpm')],
    ['list', LIST_SCRIPT],
  ])('the %s script is valid sh', (_name, script) => {
    const result = spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('build without the test suite, with the host\'s CPUs, and rpm without the kmod dependency or build-deps check', () => {
    expect(buildScript('deb')).toMatch(/DEB_BUILD_OPTIONS="nocheck noddebs parallel=\$jobs" dpkg-buildpackage -b -uc -us/);
    expect(buildScript('rpm')).toMatch(/rpmbuild -bb --nocheck --nodeps/);
    expect(buildScript('rpm')).toContain(`'${KMOD_SED[1]}'`);
  });

  it('the source script runs apt only on its own sources file, never on /etc/apt', () => {
    const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    // An apt-get on PATH that records its arguments stands in for the real one; it "offers" one dsc.
    mkdirSync(`${dir}/bin`);
    writeFileSync(`${dir}/bin/apt-get`, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${dir}/calls\ncase "$*" in *--print-uris*) echo "'http://m/o.dsc' openvswitch_3.1.0-2.dsc 1 SHA256:x";; esac\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${dir}/bin:${process.env['PATH'] ?? ''}` };
    const result = spawnSync('sh', ['-c', SOURCE_SCRIPT, 'build-source', `${dir}/work`, 'distro', 'deb-src http://m/debian bookworm main\n'], { encoding: 'utf8', env });
    expect(result.stdout).toBe('dsc=openvswitch_3.1.0-2.dsc\n');
    const calls = spawnSync('cat', [`${dir}/calls`], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call).toContain(`Dir::Etc::SourceList=${dir}/work/apt/sources.list`);
    expect(spawnSync('cat', [`${dir}/work/apt/sources.list`], { encoding: 'utf8' }).stdout).toBe('deb-src http://m/debian bookworm main\n');
    spawnSync('rm', ['-rf', dir]);
  });

  it('fetches neither debug symbols nor kernel modules', () => {
    expect(['openvswitch-switch_3.1.0-2_amd64.deb', 'openvswitch-2.5.0-1.x86_64.rpm'].filter(isFetched)).toHaveLength(2);
    expect(['openvswitch-switch-dbgsym_3.1.0-2_amd64.deb', 'openvswitch-datapath-dkms_2.5_all.deb', 'openvswitch-kmod-2.5-1.x86_64.rpm', 'openvswitch-debuginfo-2.5-1.x86_64.rpm', 'build.log'].filter(isFetched)).toEqual([]);
  });
});

describe('the flags and the build host', () => {
  it('wants --out, a known format and a source that exists', () => {
    expect(() => buildArguments({}, '/w')).toThrow(/--out DIR is needed/);
    expect(() => buildArguments({ out: 'o', format: 'apk' }, '/w')).toThrow(/--format must be deb or rpm, not apk/);
    expect(() => buildArguments({ out: 'o', source: 'ovs.zip' }, '/w')).toThrow(/--source ovs\.zip: must be/);
    expect(() => buildArguments({ out: 'o', source: 'missing.tar.gz' }, '/w')).toThrow(/no such file: \/w\/missing\.tar\.gz/);
    expect(buildArguments({ out: 'o', format: 'rpm', source: 'https://h/ovs.tar.gz' }, '/w')).toEqual({ out: '/w/o', format: 'rpm', source: { kind: 'url', url: 'https://h/ovs.tar.gz' } });
  });

  it('builds on the first host of group build, else on the first host', () => {
    const host = (name: string, groups: string[] = []): Host => ({ name, groups } as unknown as Host);
    expect(buildHostOf({ hosts: [host('a'), host('b', ['build']), host('c', ['build'])] }).name).toBe('b');
    expect(buildHostOf({ hosts: [host('a'), host('b')] }).name).toBe('a');
  });
});

/** A build host that answers each script as a Debian 12 host would, and builds what `built` says. */
class FakeBuildHost implements Connection {
  readonly host = 'node1';
  readonly ran: string[] = [];
  builds = 0;
  constructor(private readonly buildLines: string[], private readonly buildCode = 0, private readonly files = new Map([['openvswitch-switch_3.1.0-2_amd64.deb', Buffer.from('switch')], ['openvswitch-switch-dbgsym_3.1.0-2_amd64.deb', Buffer.from('dbg')]])) {}

  async exec(argv: readonly string[]): Promise<ExecResult> {
    const script = argv[0] === 'sh' ? argv[2] : argv[0];
    this.ran.push(script === SOURCE_SCRIPT ? 'source' : script === LIST_SCRIPT ? 'list' : argv.join(' '));
    if (script === SOURCE_SCRIPT) return done('dsc=openvswitch_3.1.0-2.dsc\n');
    if (script === LIST_SCRIPT) return done([...this.files].map(([name, bytes]) => `${sha256Hex(bytes)}  ${name}`).join('\n'));
    if (argv[0] === 'base64') return done(this.files.get(path.basename(argv[3] ?? ''))?.toString('base64') ?? '');
    return done('');
  }

  async execScript(script: string): Promise<ExecResult> {
    this.ran.push(script === PROBE_SCRIPT ? 'probe' : script);
    return done(`arch=amd64\nid=debian\nversion_id=12\ncodename=bookworm\nnproc=2\napt=yes\nsources=sources.list ${Buffer.from(BOOKWORM_LIST).toString('base64')}\n`);
  }

  async putFile(): Promise<void> {}

  async start(argv: readonly string[]): Promise<RunningCommand> {
    this.builds++;
    this.ran.push(`build jobs=${argv[6]}`);
    const lines = [...this.buildLines];
    return {
      nextLine: async () => lines.shift() ?? null,
      exited: Promise.resolve({ stdout: '', stderr: '', code: this.buildCode, signal: null }),
      end: async () => undefined,
    };
  }

  async close(): Promise<void> {}
}

function done(stdout: string): ExecResult {
  return { stdout, stderr: '', code: 0, signal: null };
}

describe('a build over a fake host', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'meshctl-build-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('builds once with the host\'s CPUs, fetches the packages but the debug ones, then is a cache hit that builds nothing', async () => {
    const host = new FakeBuildHost(['==> building', 'gcc ...']);
    const shown: string[] = [];
    const first = await buildOvs(host, { source: { kind: 'distro' }, format: 'deb' }, { cacheRoot: root, log: (line) => shown.push(line) });
    expect(first.cacheHit).toBe(false);
    expect(host.ran).toContain('build jobs=2');
    expect(shown).toContain('  gcc ...');
    expect(await readdir(first.build.packagesDir)).toEqual(['openvswitch-switch_3.1.0-2_amd64.deb']);
    expect(await readFile(path.join(first.build.packagesDir, 'openvswitch-switch_3.1.0-2_amd64.deb'), 'utf8')).toBe('switch');

    const second = await buildOvs(host, { source: { kind: 'distro' }, format: 'deb' }, { cacheRoot: root, log: (line) => shown.push(line) });
    expect(second.cacheHit).toBe(true);
    expect(second.build.key).toBe(first.build.key);
    expect(host.builds).toBe(1);
    expect(shown.some((line) => line.startsWith('cache hit:'))).toBe(true);
    expect((await newestCachedBuild(root, 'distro', 'deb'))?.key).toBe(first.build.key);
    expect(await newestCachedBuild(root, 'distro', 'rpm')).toBeUndefined();

    await pruneCache(root);
    expect(await findCachedBuild(root, first.build.key)).toBeUndefined();
  });

  it(`fails with the log's last ${FAILURE_TAIL_LINES} lines and caches nothing`, async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const host = new FakeBuildHost(lines, 2);
    const error = await buildOvs(host, { source: { kind: 'distro' }, format: 'deb' }, { cacheRoot: root, log: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    const message = (error as TaskError).message;
    expect(message).toContain('exit 2');
    expect(message).toContain(lines.slice(-FAILURE_TAIL_LINES).join('\n'));
    expect(message).not.toContain(`line ${100 - FAILURE_TAIL_LINES - 1}\n`);
    expect((error as TaskError).exitCode).toBe(1);
    expect(await newestCachedBuild(root, 'distro', 'deb')).toBeUndefined();
  });
});
