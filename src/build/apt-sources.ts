// The apt sources a build uses, kept apart from the host's own: its repositories for its release
// (suite CODENAME and CODENAME-*), as `deb` lines and their `deb-src` twins, written to a sources
// file in the build's work directory and read with apt's -o options (scripts.ts: private_apt), so
// that the host's /etc/apt is never changed and nothing is left behind when a build stops.
//   aptSourcesForBuild([{ name: 'sources.list', text: 'deb http://deb.debian.org/debian bookworm main\n' }], 'bookworm', ['deb-src'])
//   → 'deb-src http://deb.debian.org/debian bookworm main\n'

export interface SourcesFile {
  /** sources.list, or a file of sources.list.d (*.list one-line, *.sources deb822). */
  name: string;
  text: string;
}

interface Repository {
  options: string;
  uri: string;
  suite: string;
  components: string[];
}

export type LineType = 'deb' | 'deb-src';

/** Null when the host names no repository for its release: then there is no source package to fetch. */
export function aptSourcesForBuild(files: readonly SourcesFile[], codename: string, types: readonly LineType[]): string | null {
  const repositories = files.flatMap((file) => (file.name.endsWith('.sources') ? deb822Repositories(file.text) : oneLineRepositories(file.text)));
  const ours = repositories.filter((repo) => repo.suite === codename || repo.suite.startsWith(`${codename}-`));
  if (ours.length === 0) return null;
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const repo of ours) {
    const rest = `${repo.options === '' ? '' : `[${repo.options}] `}${repo.uri} ${repo.suite} ${repo.components.join(' ')}`;
    if (seen.has(rest)) continue;
    seen.add(rest);
    for (const type of types) lines.push(`${type} ${rest}`);
  }
  return `${lines.join('\n')}\n`;
}

function oneLineRepositories(text: string): Repository[] {
  const repositories: Repository[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const match = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (match === null) continue;
    const components = (match[4] ?? '').trim().split(/\s+/).filter((word) => word !== '');
    // A suite ending in / is a flat repository: it has no components and no source packages here.
    if (components.length === 0) continue;
    repositories.push({ options: (match[1] ?? '').trim().replace(/\s+/g, ' '), uri: match[2] ?? '', suite: match[3] ?? '', components });
  }
  return repositories;
}

/** deb822 stanzas (trixie's default debian.sources): Types, URIs, Suites, Components, Signed-By. */
function deb822Repositories(text: string): Repository[] {
  const repositories: Repository[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const continued = /^\s+(\S.*)$/.exec(line);
      if (continued !== null && last !== undefined) {
        fields.set(last, `${fields.get(last) ?? ''}\n${continued[1] ?? ''}`);
        continue;
      }
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match === null) continue;
      last = (match[1] ?? '').toLowerCase();
      fields.set(last, match[2] ?? '');
    }
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter((word) => word !== '');
    if (!words('types').includes('deb') || (fields.get('enabled') ?? 'yes').trim().toLowerCase() === 'no') continue;
    // A key given inline (a block of armored text) cannot go into a one-line option: skip its repository.
    const signedBy = fields.get('signed-by')?.trim();
    if (signedBy !== undefined && signedBy.includes('\n')) continue;
    const options = signedBy === undefined || signedBy === '' ? '' : `signed-by=${signedBy}`;
    for (const uri of words('uris')) {
      for (const suite of words('suites')) {
        if (suite.endsWith('/')) continue;
        repositories.push({ options, uri, suite, components: words('components') });
      }
    }
  }
  return repositories.filter((repo) => repo.components.length > 0);
}
