// Parsers of what PROBE_SCRIPT and SOURCE_SCRIPT print on the build host (scripts.ts): the facts
// the cache key and the apt sources need, and what the source turned out to be.
import type { SourcesFile } from './apt-sources.js';

export interface BuildHostFacts {
  /** dpkg's architecture: amd64, arm64... */
  arch: string;
  /** os-release ID and VERSION_ID: debian, 12. */
  distro: string;
  release: string;
  /** VERSION_CODENAME: bookworm. */
  codename: string;
  /** nproc: the build's parallel=N. */
  cpus: number;
  hasApt: boolean;
  aptSources: SourcesFile[];
}

export class ProbeError extends Error {}

export function parseBuildHostFacts(stdout: string): BuildHostFacts {
  const values = new Map<string, string>();
  const aptSources: SourcesFile[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^([a-z_]+)=(.*)$/.exec(line);
    if (match === null) continue;
    const [, key = '', value = ''] = match;
    if (key === 'sources') {
      const space = value.lastIndexOf(' ');
      if (space <= 0) throw new ProbeError(`cannot read the apt sources line: ${line}`);
      aptSources.push({ name: value.slice(0, space), text: Buffer.from(value.slice(space + 1), 'base64').toString('utf8') });
    } else {
      values.set(key, value.trim());
    }
  }
  const arch = values.get('arch') ?? '';
  const distro = values.get('id') ?? '';
  if (arch === '' || distro === '') throw new ProbeError(`the build host did not say its architecture and distribution (os-release):\n${stdout.trim()}`);
  const cpus = Number(values.get('nproc'));
  return {
    arch,
    distro,
    release: values.get('version_id') ?? '',
    codename: values.get('codename') ?? '',
    cpus: Number.isInteger(cpus) && cpus > 0 ? cpus : 1,
    hasApt: values.get('apt') === 'yes',
    aptSources,
  };
}

/** The source as SOURCE_SCRIPT found it: the .dsc apt will fetch, or the fetched tarball's hash. */
export type SourceIdentity = { dsc: string } | { sha256: string };

export function parseSourceIdentity(stdout: string): SourceIdentity {
  const dsc = /^dsc=(openvswitch_[A-Za-z0-9.+~-]+\.dsc)$/m.exec(stdout)?.[1];
  if (dsc !== undefined) return { dsc };
  const sha256 = /^sha256=([0-9a-f]{64})$/m.exec(stdout)?.[1];
  if (sha256 !== undefined) return { sha256 };
  throw new ProbeError(`the build host did not say which source it has:\n${stdout.trim()}`);
}

/** The Debian version a .dsc file name carries: openvswitch_3.1.0-2+deb12u1.dsc → 3.1.0-2+deb12u1. */
export function dscVersion(dsc: string): string {
  return dsc.replace(/^openvswitch_/, '').replace(/\.dsc$/, '');
}

/** `SHA256  NAME` lines (LIST_SCRIPT) → the packages built. */
export function parseBuiltList(stdout: string): { name: string; sha256: string }[] {
  return stdout
    .split('\n')
    .map((line) => /^([0-9a-f]{64}) [ *]?(\S+)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ sha256: match[1] ?? '', name: match[2] ?? '' }));
}
