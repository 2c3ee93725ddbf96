// docker.service's command line, read from its unit file: Debian's (bookworm's docker.io:
// `ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS`)
// and Docker's own packages pass `-H fd://`, which dockerd refuses next to `hosts` in daemon.json
// ("the following directives are specified both as a flag and in the configuration file: hosts").
// The drop-in meshctl writes then runs the same command without its -H flags.
import { FactParseError } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';

export type DockerUnit =
  | { found: false }
  | {
      found: true;
      /** The unit file systemd loaded (FragmentPath). */
      path: string;
      /** The last ExecStart= of [Service], words as written (quotes kept). */
      execStart: string[];
      /** It passes -H / --host. */
      hostFlags: boolean;
    };

const FOUND = /^meshctl:unit (\/\S.*)$/;

/** What the unit fact printed: `meshctl:unit PATH` and the file, or `meshctl:no-unit`. */
export function parseDockerUnit(result: ExecResult): DockerUnit {
  const [first = '', ...lines] = result.stdout.split('\n');
  if (result.code === 0 && first.trim() === 'meshctl:no-unit') return { found: false };
  const path = FOUND.exec(first)?.[1];
  if (result.code !== 0 || path === undefined) throw new FactParseError(`cannot read docker.service's unit file (exit ${result.code ?? 'by signal'})`);
  const execStart = lastExecStart(lines.join('\n'));
  if (execStart === undefined) throw new FactParseError(`${path} has no ExecStart= in [Service]: meshctl cannot tell how dockerd is started`);
  const words = execStart.match(WORD) ?? [];
  return { found: true, path, execStart: words, hostFlags: withoutHostFlags(words).length !== words.length };
}

// A word runs to the next blank outside quotes (systemd's own splitting, escapes aside).
const WORD = /(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g;

function lastExecStart(text: string): string | undefined {
  // A backslash at the end of a line continues it (systemd.syntax).
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  let section = '';
  let found: string | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) section = header[1];
    else if (section === 'Service' && line.startsWith('ExecStart=')) {
      const value = line.slice('ExecStart='.length).trim();
      // An empty ExecStart= resets the list (as drop-ins do).
      found = value === '' ? undefined : value;
    }
  }
  return found;
}

/** The words without `-H X`, `-HX`, `-H=X`, `--host X`, `--host=X`. */
export function withoutHostFlags(words: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-H' || word === '--host') i++;
    else if (!/^(?:-H.|--host=)/.test(word)) kept.push(word);
  }
  return kept;
}

/** The drop-in: ExecStart cleared, then the unit's own without -H (the other flags and $DOCKER_OPTS kept). */
export function hostsDropIn(unit: Extract<DockerUnit, { found: true }>): string {
  return [
    `# meshctl: ${unit.path} passes -H, which dockerd refuses next to hosts in /etc/docker/daemon.json; meshctl down removes this file`,
    '[Service]',
    'ExecStart=',
    `ExecStart=${withoutHostFlags(unit.execStart).join(' ')}`,
    '',
  ].join('\n');
}
