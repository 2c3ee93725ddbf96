// package_sources: the package repositories meshctl adds: on the Debian family an apt source
// with its signing key and pin, then `apt-get update`; on the RHEL family a yum/dnf .repo file.
// params: sources (the inventory's package_sources, as playbooks get them), state?: present | absent,
//   update_cache?: boolean (default true: apt-get update after a change).
//   - name: Package sources
//     module: package_sources
//     params: { sources: "{{ package_sources }}" }
//
// The module owns the files named meshctl-* in sources.list.d, keyrings, preferences.d and
// yum.repos.d: `present` writes those of `sources` and removes the others (a source the inventory
// no longer lists); `absent` removes all of them. Text files carry a first line marking them as
// meshctl's, and one without it is never overwritten or removed; keys are meshctl's by name.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, type FactQuery, type Step } from '../engine/module.js';
import { moduleSourceSchema, type AptSource, type PackageSource, type YumSource } from '../packages/source.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { APT, packages, type PackageManager } from './packages.js';

const params = z
  .strictObject({
    sources: z.array(moduleSourceSchema).default([]),
    state: z.enum(['present', 'absent']).default('present'),
    update_cache: z.boolean().default(true),
  })
  .refine((p) => new Set(p.sources.map((s) => s.name)).size === p.sources.length, { message: 'source names must be unique', path: ['sources'] });

export type PackageSourcesParams = z.output<typeof params>;

export interface SourceFile {
  path: string;
  text: string;
}

export interface PackageSourcesFacts {
  manager: PackageManager;
  /** Every file under the module's prefix, in path order. */
  files: SourceFile[];
}

const APT_LISTS = '/etc/apt/sources.list.d';
const APT_KEYRINGS = '/etc/apt/keyrings';
const APT_PREFERENCES = '/etc/apt/preferences.d';
const YUM_REPOS = '/etc/yum.repos.d';
const PREFIX = 'meshctl-';

const MARK = '# meshctl: package source ';
const KEY_FROM = '# meshctl: key from ';

export const listPath = (name: string): string => `${APT_LISTS}/${PREFIX}${name}.list`;
export const keyPath = (name: string): string => `${APT_KEYRINGS}/${PREFIX}${name}.asc`;
export const pinPath = (name: string): string => `${APT_PREFERENCES}/${PREFIX}${name}`;
export const repoPath = (name: string): string => `${YUM_REPOS}/${PREFIX}${name}.repo`;

const FILE_HEADER = 'meshctl:source-file ';

export const packageSources = defineModule<PackageSourcesParams, PackageSourcesFacts>({
  name: 'package_sources',
  params,
  facts: () => ({
    manager: packages.facts({ present: [], optional: [], absent: [], update_cache: false }).manager,
    files: filesQuery(),
  }),
  plan(p, facts) {
    const wanted = p.state === 'present' ? wantedFiles(p.sources, facts.manager) : { texts: [], downloads: [], skipped: [] };
    const current = new Map(facts.files.map((file) => [file.path, file.text]));
    const steps: Step[] = [];
    const written: string[] = [];

    for (const download of wanted.downloads) {
      const recorded = recordedKeyUrl(current.get(listPath(download.name)));
      if (current.has(download.path) && recorded === download.url) continue;
      steps.push(run(`sh -c ${shellQuote(KEY_DOWNLOAD_SCRIPT)} ${shellJoin(['meshctl-key', download.url, download.path])}`));
      written.push(download.path);
    }
    for (const file of wanted.texts) {
      const before = current.get(file.path);
      if (before === file.text) continue;
      if (before !== undefined && !ownsText(file.path, before)) {
        refuse(`${file.path} exists and is not marked as meshctl's (no '${MARK}NAME' first line): move it away or rename the source`);
      }
      steps.push(put(file.path, file.text, 0o644, before ?? null));
      written.push(file.path);
    }
    const keep = new Set([...wanted.texts.map((f) => f.path), ...wanted.downloads.map((d) => d.path)]);
    const foreign: string[] = [];
    const stale: string[] = [];
    for (const file of facts.files) {
      if (keep.has(file.path)) continue;
      if (ownsText(file.path, file.text)) stale.push(file.path);
      else foreign.push(file.path);
    }
    if (stale.length > 0) steps.push(run(shellJoin(['rm', '-f', ...stale])));
    // Debian 11 and older have no /etc/apt/keyrings.
    if (written.some((path) => path.startsWith(`${APT_KEYRINGS}/`))) steps.unshift(run(shellJoin(['mkdir', '-p', APT_KEYRINGS])));

    const notes = [
      ...(wanted.skipped.length > 0 ? [`not for ${facts.manager}: ${wanted.skipped.join(', ')}`] : []),
      ...(foreign.length > 0 ? [`left alone, not marked as meshctl's: ${foreign.join(', ')}`] : []),
    ];
    const noted = notes.length === 0 ? '' : ` (${notes.join('; ')})`;
    if (steps.length === 0) {
      if (p.state === 'absent') return ok(`no package source of meshctl's is left${noted}`);
      const names = p.sources.filter((s) => !wanted.skipped.includes(s.name)).map((s) => s.name);
      return ok(`${names.length === 0 ? 'no package sources named' : `package sources in place: ${names.join(', ')}`}${noted}`);
    }
    if (facts.manager === 'apt' && p.update_cache) steps.push(run(shellJoin([...APT, 'update'])));
    const actions = [...(written.length > 0 ? [`write ${written.join(', ')}`] : []), ...(stale.length > 0 ? [`remove ${stale.join(', ')}`] : [])];
    const update = facts.manager === 'apt' && p.update_cache ? ', then apt-get update' : '';
    return change(`${actions.join('; ')}${update}${noted}`, steps);
  },
});

interface WantedFiles {
  texts: SourceFile[];
  /** Keys fetched on the host (key_url). */
  downloads: { name: string; url: string; path: string }[];
  /** Sources with nothing for this host's package manager. */
  skipped: string[];
}

function wantedFiles(sources: readonly PackageSource[], manager: PackageManager): WantedFiles {
  const wanted: WantedFiles = { texts: [], downloads: [], skipped: [] };
  for (const source of sources) {
    if (manager === 'apt' && source.apt !== undefined) {
      wanted.texts.push({ path: listPath(source.name), text: aptList(source.name, source.apt) });
      if (source.apt.key_text !== undefined) wanted.texts.push({ path: keyPath(source.name), text: source.apt.key_text });
      if (source.apt.key_url !== undefined) wanted.downloads.push({ name: source.name, url: source.apt.key_url, path: keyPath(source.name) });
      if (source.apt.pin !== undefined) wanted.texts.push({ path: pinPath(source.name), text: aptPin(source.name, source.apt) });
    } else if (manager !== 'apt' && source.yum !== undefined) {
      wanted.texts.push({ path: repoPath(source.name), text: yumRepo(source.name, source.yum) });
    } else {
      wanted.skipped.push(source.name);
    }
  }
  return wanted;
}

/** The one-line sources.list entry; the key URL is recorded so that a changed URL is fetched again. */
export function aptList(name: string, apt: AptSource): string {
  const hasKey = apt.key_text !== undefined || apt.key_url !== undefined;
  const options = hasKey ? `[signed-by=${keyPath(name)}] ` : '';
  const keyFrom = apt.key_url === undefined ? '' : `${KEY_FROM}${apt.key_url}\n`;
  return `${MARK}${name}\n${keyFrom}deb ${options}${apt.uri} ${apt.suite} ${apt.components.join(' ')}\n`;
}

export function aptPin(name: string, apt: AptSource): string {
  const pin = apt.pin;
  if (pin === undefined) throw new Error(`source ${name} has no pin`);
  const release = `Pin: release ${pin.release ?? `n=${apt.suite}`}`;
  const all = `Package: *\n${release}\nPin-Priority: ${pin.priority}\n`;
  const preferred = pin.packages.length === 0 ? '' : `\nPackage: ${pin.packages.join(' ')}\n${release}\nPin-Priority: ${pin.packages_priority}\n`;
  return `${MARK}${name}\n${all}${preferred}`;
}

export function yumRepo(name: string, yum: YumSource): string {
  const lines = [
    `${MARK}${name}`,
    `[${PREFIX}${name}]`,
    `name=${name} (meshctl)`,
    `baseurl=${yum.baseurl}`,
    `enabled=${yum.enabled ? 1 : 0}`,
    `gpgcheck=${yum.gpgcheck ? 1 : 0}`,
    ...(yum.gpgkey === undefined ? [] : [`gpgkey=${yum.gpgkey}`]),
  ];
  return `${lines.join('\n')}\n`;
}

function ownsText(path: string, text: string): boolean {
  // A key cannot carry a mark (apt reads the whole file as the key): its name is the mark.
  return path.startsWith(`${APT_KEYRINGS}/${PREFIX}`) || text.startsWith(MARK);
}

function recordedKeyUrl(list: string | undefined): string | undefined {
  const line = list?.split('\n').find((l) => l.startsWith(KEY_FROM));
  return line?.slice(KEY_FROM.length);
}

/**
 * Fetches a signing key on the host: `sh -c SCRIPT meshctl-key URL PATH`. apt's own downloader
 * comes first (it is on every Debian host, minbase included, and uses apt's proxy settings, as
 * the package downloads will), then curl or wget. A binary key is armored without the optional
 * checksum (computing CRC-24 in sh is not worth it; apt reads the key without one).
 */
export const KEY_DOWNLOAD_SCRIPT = `url=$1 key=$2
tmp=$key.download
rm -f "$tmp"
if [ -x /usr/lib/apt/apt-helper ]; then
  fetch() { /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$url" "$tmp" >/dev/null; }
elif command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL -o "$tmp" "$url"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$tmp" "$url"; }
else
  echo "cannot download the signing key $url: no apt-helper, curl or wget on this host" >&2
  exit 1
fi
if ! fetch || [ ! -s "$tmp" ]; then
  rm -f "$tmp"
  echo "cannot download the signing key $url" >&2
  exit 1
fi
if grep -q -e '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$tmp"; then
  cat "$tmp" >"$key.new"
else
  { echo '-----BEGIN PGP PUBLIC KEY BLOCK-----'; echo; base64 <"$tmp"; echo '-----END PGP PUBLIC KEY BLOCK-----'; } >"$key.new"
fi
rm -f "$tmp"
chmod 644 "$key.new"
mv -f "$key.new" "$key"
`;

function filesQuery(): FactQuery<SourceFile[]> {
  const globs = [APT_LISTS, APT_KEYRINGS, APT_PREFERENCES, YUM_REPOS].map((dir) => `${dir}/${PREFIX}*`).join(' ');
  // base64: a key may be binary, and the transport may trim what a file ends with.
  return {
    command: `for f in ${globs}; do if [ -f "$f" ]; then echo "${FILE_HEADER}$f"; base64 <"$f" || exit 1; fi; done`,
    parse: parseFiles,
  };
}

export function parseFiles(result: ExecResult): SourceFile[] {
  if (result.code !== 0) throw new FactParseError(`cannot read the package source files (exit ${result.code ?? result.signal})`);
  const files: SourceFile[] = [];
  let current: { path: string; base64: string[] } | undefined;
  const finish = (): void => {
    if (current !== undefined) files.push({ path: current.path, text: Buffer.from(current.base64.join(''), 'base64').toString('utf8') });
  };
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith(FILE_HEADER)) {
      finish();
      current = { path: line.slice(FILE_HEADER.length), base64: [] };
    } else if (line.trim() !== '') {
      if (current === undefined) throw new FactParseError(`unexpected output before the first file: ${line.slice(0, 80)}`);
      current.base64.push(line.trim());
    }
  }
  finish();
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
