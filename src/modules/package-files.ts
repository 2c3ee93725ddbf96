// package_files: installs package files shipped from the controller (`ovs.source` or
// `docker.source: { packages: DIR }`), for hosts that cannot or should not take them from a
// repository: air-gapped sites, builds of one's own.
// params: packages: [{ path, format, name, version, arch, size, sha256 }] (the loader reads DIR
//   and fills these from each file), hold?: boolean (default true).
//
// A file is uploaded only to a host that lacks that exact version, and only the files of the
// host's format (.deb for apt, .rpm for dnf/yum) and architecture. apt installs them with their
// dependencies from the host's sources, then holds them, so that a later `apt upgrade` does not
// replace what was shipped with the distribution's build. dnf and yum have no hold without a
// plugin: there the docs say to exclude the names in the repository configuration.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run, upload, type FactQuery, type Step } from '../engine/module.js';
import type { PackageFile } from '../packages/package-file.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';
import { APT, DPKG_INSTALLED, managerQuery, NONINTERACTIVE, type PackageManager } from './packages.js';

/** Where files wait between upload and install; emptied after each install. */
export const SHIP_DIR = '/var/cache/meshctl/packages';

const packageFile = z.strictObject({
  path: z.string().regex(/^\//, 'must be an absolute path on the controller'),
  format: z.enum(['deb', 'rpm']),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/),
  version: z.string().regex(/^[A-Za-z0-9.:~+_-]+$/),
  arch: z.string().regex(/^[A-Za-z0-9_-]+$/),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const params = z.strictObject({
  packages: z.array(packageFile).min(1, 'no package files to ship'),
  hold: z.boolean().default(true),
});

export type PackageFilesParams = z.output<typeof params>;

export interface PackageFilesFacts {
  manager: PackageManager;
  /** dpkg's architecture (amd64) or the kernel's machine (x86_64) on rpm hosts. */
  arch: string;
  /** Installed version of each named package; absent names are not installed. */
  installed: Record<string, string>;
  /** Names apt holds (empty on rpm hosts). */
  held: string[];
}

const ANY_ARCH = new Set(['all', 'noarch']);

/** The files this host takes: its format, its architecture or none in particular. */
export function filesFor(files: readonly PackageFile[], manager: PackageManager, arch: string): PackageFile[] {
  const format = manager === 'apt' ? 'deb' : 'rpm';
  return files.filter((file) => file.format === format && (file.arch === arch || ANY_ARCH.has(file.arch)));
}

export const packageFiles = defineModule<PackageFilesParams, PackageFilesFacts>({
  name: 'package_files',
  params,
  facts: (p) => {
    const names = [...new Set(p.packages.map((file) => file.name))];
    return {
      manager: managerQuery,
      arch: {
        command: 'if command -v dpkg >/dev/null 2>&1; then dpkg --print-architecture; else uname -m; fi',
        parse: (result) => {
          const arch = result.stdout.trim();
          if (result.code !== 0 || !/^[A-Za-z0-9_-]+$/.test(arch)) throw new FactParseError(`cannot tell the host's architecture: ${result.stderr.trim()}`);
          return arch;
        },
      },
      installed: installedVersionsQuery(names),
      held: {
        command: 'if command -v apt-mark >/dev/null 2>&1; then apt-mark showhold; fi',
        parse: (result) => result.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
      },
    };
  },
  plan(p, facts) {
    const mine = filesFor(p.packages, facts.manager, facts.arch);
    if (mine.length === 0) {
      const format = facts.manager === 'apt' ? '.deb' : '.rpm';
      const offered = [...new Set(p.packages.map((file) => `${file.format} ${file.arch}`))].join(', ');
      refuse(`none of the ${p.packages.length} package file(s) is a ${format} for ${facts.arch} (${facts.manager}); given: ${offered}`);
    }
    const outdated = mine.filter((file) => facts.installed[file.name] !== file.version);
    const hold = p.hold && facts.manager === 'apt';
    const unheld = hold ? mine.filter((file) => !facts.held.includes(file.name)) : [];
    const described = (file: PackageFile): string => `${file.name} ${file.version}`;
    if (outdated.length === 0 && unheld.length === 0) {
      return ok(`${mine.length === 1 ? described(mine[0] as PackageFile) : `all ${mine.length} shipped packages`} installed${hold ? ' and held' : ''}`);
    }
    const steps: Step[] = [];
    if (outdated.length > 0) {
      steps.push(run(shellJoin(['mkdir', '-p', SHIP_DIR])));
      // Named by content: a stale file of the same name from a cut-short run is never installed.
      const remote = (file: PackageFile): string => `${SHIP_DIR}/${file.sha256.slice(0, 16)}-${file.name}.${file.format}`;
      for (const file of outdated) steps.push(upload(file.path, remote(file), file.size));
      steps.push(...installSteps(facts.manager, outdated.map(remote), facts.installed, outdated));
      steps.push(run(shellJoin(['rm', '-f', '--', ...outdated.map(remote)])));
    }
    const toHold = hold ? [...new Set([...outdated, ...unheld].map((file) => file.name))] : [];
    if (toHold.length > 0) steps.push(run(`${shellJoin(['apt-mark', 'hold', ...toHold])} >/dev/null`));
    const actions = [
      ...outdated.map((file) => {
        const was = facts.installed[file.name];
        return `ship ${described(file)}${was === undefined ? '' : ` (replacing ${was})`}`;
      }),
      ...(toHold.length > 0 ? [`hold ${toHold.join(', ')}`] : []),
    ];
    return change(`${actions.join('; ')} (${facts.manager})`, steps);
  },
});

function installSteps(manager: PackageManager, remotePaths: string[], installed: Record<string, string>, files: readonly PackageFile[]): Step[] {
  if (manager === 'apt') {
    // The files' dependencies come from the host's sources, whose lists may be old or missing.
    const replacing = files.some((file) => installed[file.name] !== undefined);
    const options = ['-o', 'Dpkg::Options::=--force-confold', 'install', '-y', '--no-install-recommends', '--allow-change-held-packages', ...(replacing ? ['--allow-downgrades'] : [])];
    return [run(shellJoin([...APT, 'update'])), run(`${NONINTERACTIVE} ${shellJoin([...APT, ...options, ...remotePaths])}`)];
  }
  // dnf and yum install local files with their dependencies from the repositories; yum spells it localinstall.
  return [run(shellJoin(manager === 'dnf' ? ['dnf', '-y', 'install', ...remotePaths] : ['yum', '-y', 'localinstall', ...remotePaths]))];
}

const DPKG = 'meshctl:dpkg';
const RPM = 'meshctl:rpm';

function installedVersionsQuery(names: string[]): FactQuery<Record<string, string>> {
  const dpkg = shellJoin(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Status} ${Version}\\n', ...names]);
  const rpm = shellJoin(['rpm', '-q', '--qf', '%{NAME} installed %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', ...names]);
  return {
    command: `if command -v apt-get >/dev/null 2>&1; then echo ${DPKG}; ${dpkg}; else echo ${RPM}; ${rpm}; fi`,
    parse: (result) => parseInstalledVersions(result),
  };
}

/** `NAME STATUS VERSION` lines from dpkg-query, or `NAME installed VERSION` and "is not installed" lines from rpm. */
export function parseInstalledVersions(result: ExecResult): Record<string, string> {
  const [header = '', ...lines] = result.stdout.split('\n').map((line) => line.trim());
  if (header !== DPKG && header !== RPM) throw new FactParseError('cannot tell which package database was read');
  // dpkg-query exits 1 for a name it does not know, rpm with the count of names not installed: answers both.
  const known = header === DPKG ? result.code === 0 || /no packages found matching/.test(result.stderr) : lines.some((line) => line !== '');
  if (!known) throw new FactParseError(`the package database did not answer (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
  const installed: Record<string, string> = {};
  for (const line of lines) {
    const [name, status, version] = line.split(/\s+/);
    if (name !== undefined && status !== undefined && version !== undefined && DPKG_INSTALLED.has(status)) installed[name] = version;
  }
  return installed;
}
