// packages: installs and removes OS packages with apt, dnf or yum, chosen from /etc/os-release.
// params: present?: string[], absent?: string[], update_cache?: boolean (default true),
//   optional?: string[] (apt: installed where the host's sources have them, e.g. docker-cli, which
//   Debian 13 splits out of docker.io; skipped where no source knows the name),
//   release?: string (apt: the release the present packages come from, e.g. bullseye; a name
//   may also carry its own, `docker.io/bullseye`).
//   - name: Install Open vSwitch and Docker
//     module: packages
//     params: { present: [openvswitch-switch, docker.io], absent: [ufw] }
//
// A package asked for from a release is in place only when the installed version is one that
// release offers (`apt-cache madison`): docker.io 20.10.24 from bookworm is replaced by
// bullseye's 20.10.5 when docker.io/bullseye is asked for, a downgrade apt is allowed to make.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run, type FactQuery, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';

// Names only: a version pin (`foo=1.2`) or an architecture (`foo:amd64`) would never match the
// name the installed-fact reads back, and the task would never converge.
const packageName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be a package name (letters, digits, . _ + -)');

const releaseName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a release name such as bullseye');
const fromRelease = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/, 'must be a package name (letters, digits, . _ + -), optionally /release');

const params = z
  .strictObject({
    present: z.array(fromRelease).default([]),
    optional: z.array(packageName).default([]),
    absent: z.array(packageName).default([]),
    update_cache: z.boolean().default(true),
    release: releaseName.optional(),
  })
  .refine((p) => !p.present.some((name) => p.absent.includes(bareName(name))), {
    message: 'a package cannot be both present and absent',
  });

/** `docker.io/bullseye` → docker.io. */
function bareName(name: string): string {
  return name.split('/')[0] ?? name;
}

/** Each present package and the release it is wanted from (undefined: any). */
function wantedPackages(p: { present: readonly string[]; release?: string | undefined }): Map<string, string | undefined> {
  const wanted = new Map<string, string | undefined>();
  for (const entry of p.present) {
    const [name = entry, release] = entry.split('/');
    wanted.set(name, release ?? p.release);
  }
  return wanted;
}

export type PackagesParams = z.output<typeof params>;

export type PackageManager = 'apt' | 'dnf' | 'yum';

export interface PackagesFacts {
  manager: PackageManager;
  /** Those of the named packages (present and absent) that are installed. */
  installed: string[];
  /** Only for packages wanted from a release: the installed version and the versions each release offers. */
  releases: ReleaseVersions;
  /** Those of the optional packages that the host's package lists know. */
  known: string[];
}

export interface ReleaseVersions {
  installed: Record<string, string>;
  /** Per package, per release (the suite as the sources list names it), the versions offered. */
  offered: Record<string, Record<string, string[]>>;
}

// dpkg's own lock, not just apt's: unattended-upgrades on a fresh host holds it for minutes.
export const APT = ['apt-get', '-o', 'DPkg::Lock::Timeout=120'];
// A prefix, not an argument: quoted it would no longer be an assignment.
export const NONINTERACTIVE = 'DEBIAN_FRONTEND=noninteractive';

/** Which package manager the host has, from os-release (and whether dnf is there). */
export const managerQuery: FactQuery<PackageManager> = {
  command:
    'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release; ' +
    'if command -v dnf >/dev/null 2>&1; then echo MESHCTL_DNF=yes; else echo MESHCTL_DNF=no; fi',
  parse: parseManager,
};

export const packages = defineModule<PackagesParams, PackagesFacts>({
  name: 'packages',
  params,
  facts: (p) => ({
    manager: managerQuery,
    installed: installedQuery(unique([...wantedPackages(p).keys(), ...p.optional, ...p.absent])),
    releases: releasesQuery([...wantedPackages(p)].filter(([, release]) => release !== undefined).map(([name]) => name)),
    known: knownQuery(p.optional),
  }),
  plan(p, facts) {
    const installed = new Set(facts.installed);
    const wanted = wantedPackages(p);
    const fromRelease = [...wanted].filter((entry): entry is [string, string] => entry[1] !== undefined);
    if (fromRelease.length > 0 && facts.manager !== 'apt') {
      refuse(`a release to install from (${fromRelease.map(([name, release]) => `${name}/${release}`).join(', ')}) is apt's; ${facts.manager} hosts take a repository instead`);
    }
    // Installed, but not a version the wanted release offers: from another release.
    const otherRelease = new Set(
      fromRelease
        .filter(([name]) => installed.has(name))
        .filter(([name, release]) => !(facts.releases.offered[name]?.[release] ?? []).includes(facts.releases.installed[name] ?? ''))
        .map(([name]) => name),
    );
    const missing = [...wanted.keys()].filter((name) => !installed.has(name) || otherRelease.has(name));
    const unwanted = unique(p.absent).filter((name) => installed.has(name));
    const optional = facts.manager === 'apt' ? unique(p.optional).filter((name) => !wanted.has(name)) : [];
    const optionalMissing = optional.filter((name) => facts.known.includes(name) && !installed.has(name));
    if (missing.length === 0 && unwanted.length === 0 && optionalMissing.length === 0) {
      const fromWhere = fromRelease.length === 0 ? '' : ` (${fromRelease.map(([name, release]) => `${name} from ${release}`).join(', ')})`;
      return ok(`${noopReason([...wanted.keys()], unique(p.absent))}${fromWhere}`);
    }
    // Removal first: a package to remove may conflict with one to install (docker-ce, docker.io).
    const steps: Step[] = [];
    if (unwanted.length > 0) steps.push(run(removeCommand(facts.manager, unwanted)));
    if (missing.length > 0) {
      // dnf and yum refresh expired metadata by themselves; apt never does.
      if (facts.manager === 'apt' && p.update_cache) steps.push(run(shellJoin([...APT, 'update'])));
      const targets = missing.map((name) => (wanted.get(name) === undefined ? name : `${name}/${wanted.get(name) ?? ''}`));
      steps.push(run(installCommand(facts.manager, targets, otherRelease.size > 0)));
      // Known only once the lists are fresh: asked again after the update above.
      for (const name of optional.filter((o) => !installed.has(o))) {
        steps.push(run(`if ${shellJoin(['apt-cache', 'show', '--no-all-versions', name])} >/dev/null 2>&1; then ${installCommand('apt', [name], false)}; fi`));
      }
    } else if (optionalMissing.length > 0) {
      steps.push(run(installCommand('apt', optionalMissing, false)));
    }
    const replaced = missing.filter((name) => otherRelease.has(name));
    const installs = missing.filter((name) => !otherRelease.has(name)).map((name) => (wanted.get(name) === undefined ? name : `${name} from ${wanted.get(name) ?? ''}`));
    const optionalNow = missing.length > 0 ? optional.filter((o) => !installed.has(o)) : optionalMissing;
    const actions = [
      ...(installs.length > 0 ? [`install ${installs.join(', ')}`] : []),
      ...(optionalNow.length > 0 ? [`install ${optionalNow.join(', ')} where the sources have ${optionalNow.length === 1 ? 'it' : 'them'}`] : []),
      ...replaced.map((name) => `replace ${name} ${facts.releases.installed[name] ?? ''} with ${wanted.get(name) ?? ''}'s`),
      ...(unwanted.length > 0 ? [`remove ${unwanted.join(', ')}`] : []),
    ];
    return change(`${actions.join('; ')} (${facts.manager})`, steps);
  },
});

function installCommand(manager: PackageManager, names: string[], downgrade: boolean): string {
  if (manager === 'apt') {
    // force-confold: keep a config file the admin changed instead of stopping at dpkg's question.
    const options = ['-o', 'Dpkg::Options::=--force-confold', 'install', '-y', '--no-install-recommends', ...(downgrade ? ['--allow-downgrades'] : [])];
    return `${NONINTERACTIVE} ${shellJoin([...APT, ...options, ...names])}`;
  }
  return shellJoin([manager, '-y', 'install', ...names]);
}

function removeCommand(manager: PackageManager, names: string[]): string {
  // Shipped packages are held (package_files): removing one is what was asked, not a change of a hold's intent.
  if (manager === 'apt') return `${NONINTERACTIVE} ${shellJoin([...APT, 'remove', '-y', '--allow-change-held-packages', ...names])}`;
  return shellJoin([manager, '-y', 'remove', ...names]);
}

function noopReason(present: readonly string[], absent: readonly string[]): string {
  const parts: string[] = [];
  if (present.length === 1) parts.push(`${present.join('')} installed`);
  if (present.length > 1) parts.push(`all ${present.length} packages installed`);
  if (absent.length > 0) parts.push(`${absent.join(', ')} not installed`);
  return parts.length === 0 ? 'no packages named' : parts.join(', ');
}

/** The package manager of the OS family named by ID and ID_LIKE in os-release. */
export function parseManager(result: ExecResult): PackageManager {
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const id = values.get('ID') ?? '';
  const family = [id, ...(values.get('ID_LIKE') ?? '').split(/\s+/)].filter((word) => word !== '');
  if (family.some((word) => word === 'debian' || word === 'ubuntu')) return 'apt';
  if (family.some((word) => word === 'rhel' || word === 'fedora' || word === 'centos')) {
    return values.get('MESHCTL_DNF') === 'yes' ? 'dnf' : 'yum';
  }
  if (id === '') throw new FactParseError('no ID in /etc/os-release: cannot tell which package manager to use');
  throw new FactParseError(
    `unsupported OS '${id}' (ID_LIKE '${values.get('ID_LIKE') ?? ''}'): packages knows the Debian family (apt) and the RHEL/Fedora family (dnf, yum)`,
  );
}

// Which database to ask is decided on the host (apt-get exists only on the Debian family), so that
// this fact does not wait for `manager`: facts are read concurrently.
const DPKG = 'meshctl:dpkg';
const RPM = 'meshctl:rpm';

function installedQuery(names: string[]): FactQuery<string[]> {
  if (names.length === 0) return { command: 'true', parse: () => [] };
  const dpkg = shellJoin(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Status}\\n', ...names]);
  const rpm = shellJoin(['rpm', '-q', '--qf', '%{NAME}\\n', ...names]);
  return {
    command: `if command -v apt-get >/dev/null 2>&1; then echo ${DPKG}; ${dpkg}; else echo ${RPM}; ${rpm}; fi`,
    parse: (result) => parseInstalled(names, result),
  };
}

/**
 * The optional packages apt's lists know (dnf and yum hosts: none is asked): those that
 * `apt-cache policy` gives a candidate. It reads apt's binary cache, some ten times quicker than
 * `apt-cache show`, which reads each record from the lists: this fact is read on every `up`.
 */
function knownQuery(names: string[]): FactQuery<string[]> {
  if (names.length === 0) return { command: 'true', parse: () => [] };
  return {
    command: `if command -v apt-cache >/dev/null 2>&1; then LC_ALL=C ${shellJoin(['apt-cache', 'policy', '--', ...names])}; fi; true`,
    parse: (result) => parseKnown(names, result.stdout),
  };
}

/** `apt-cache policy` names each package it knows (`docker-cli:`) and its `Candidate:`; `(none)` is not installable. */
export function parseKnown(names: readonly string[], stdout: string): string[] {
  const known: string[] = [];
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const heading = /^(\S+):$/.exec(line);
    if (heading !== null) {
      current = heading[1];
      continue;
    }
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line)?.[1];
    if (current !== undefined && candidate !== undefined && candidate !== '(none)' && names.includes(current) && !known.includes(current)) known.push(current);
  }
  return known;
}

const MADISON = 'meshctl:madison';

function releasesQuery(names: string[]): FactQuery<ReleaseVersions> {
  if (names.length === 0) return { command: 'true', parse: () => ({ installed: {}, offered: {} }) };
  const versions = shellJoin(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Status} ${Version}\\n', ...names]);
  return {
    command: `${versions} 2>/dev/null; echo ${MADISON}; ${shellJoin(['apt-cache', 'madison', ...names])}`,
    parse: (result) => parseReleases(result),
  };
}

/**
 * dpkg-query's `NAME STATUS VERSION` lines, then apt-cache madison's
 * ` docker.io | 20.10.5+dfsg1-1+deb11u2 | http://deb.debian.org/debian bullseye/main amd64 Packages`.
 */
export function parseReleases(result: ExecResult): ReleaseVersions {
  const lines = result.stdout.split('\n');
  const marker = lines.findIndex((line) => line.trim() === MADISON);
  if (marker === -1 || result.code !== 0) throw new FactParseError(`apt-cache madison failed (exit ${result.code ?? result.signal})`);
  const installed: Record<string, string> = {};
  for (const line of lines.slice(0, marker)) {
    const [name, status, version] = line.trim().split(/\s+/);
    if (name !== undefined && status !== undefined && version !== undefined && DPKG_INSTALLED.has(status)) installed[name] = version;
  }
  const offered: Record<string, Record<string, string[]>> = {};
  for (const line of lines.slice(marker + 1)) {
    const [name, version, source] = line.split('|').map((field) => field.trim());
    if (name === undefined || name === '' || version === undefined || source === undefined) continue;
    // The suite is the word after the URI, before its /component.
    const suite = source.split(/\s+/)[1]?.split('/')[0];
    if (suite === undefined) continue;
    const releases = (offered[name] ??= {});
    (releases[suite] ??= []).push(version);
  }
  return { installed, offered };
}

// dpkg states of a package whose files are in place; half-installed or unpacked ones are not,
// and `apt-get install` finishes them.
export const DPKG_INSTALLED: ReadonlySet<string> = new Set(['installed', 'triggers-pending', 'triggers-awaited']);

export function parseInstalled(names: readonly string[], result: ExecResult): string[] {
  const [header = '', ...lines] = result.stdout.split('\n').map((line) => line.trim());
  const found = new Set<string>();
  if (header === DPKG) {
    // Exit 1 with "no packages found matching X" when a name is unknown to dpkg: an answer.
    if (result.code !== 0 && !(result.code === 1 && /no packages found matching/.test(result.stderr))) {
      throw new FactParseError(`dpkg-query failed (exit ${result.code ?? result.signal})`);
    }
    for (const line of lines) {
      const [name, status] = line.split(/\s+/);
      if (name !== undefined && status !== undefined && DPKG_INSTALLED.has(status)) found.add(name);
    }
  } else if (header === RPM) {
    // rpm exits with the number of names not installed and says so on stdout, one line each. A
    // name it neither found nor denied means rpm itself failed (a locked or broken database).
    const denied = new Set<string>();
    for (const line of lines) {
      const notInstalled = /^package (\S+) is not installed$/.exec(line);
      if (notInstalled?.[1] !== undefined) denied.add(notInstalled[1]);
      else if (line !== '') found.add(line);
    }
    const unanswered = names.filter((name) => !found.has(name) && !denied.has(name));
    if (unanswered.length > 0) {
      throw new FactParseError(`rpm did not answer for ${unanswered.join(', ')} (exit ${result.code ?? result.signal})`);
    }
  } else {
    throw new FactParseError('cannot tell which package database was read');
  }
  return names.filter((name) => found.has(name));
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
