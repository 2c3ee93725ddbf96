// docker_daemon: sets keys of /etc/docker/daemon.json (others kept) and restarts docker; `absent`
// puts the file back as it was. params: settings, state?: present | absent, backup?: path.
//   - name: Put docker0 in the host's slice
//     module: docker_daemon
//     params: { settings: { bridge: docker0, fixed-cidr: "10.240.1.0/24", mtu: 1462 } }
//
// The first change saves the original settings (or that there was no file) to `backup`; `absent`
// writes them back as the whole file (2-space JSON), so keys added by hand since are dropped too.
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { fileFact, type FileText } from './file-fact.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = Record<string, JsonValue>;

const absolutePath = z.string().regex(/^\/[^\n]*[^/\n]$/, 'must be an absolute file path');

const params = z
  .strictObject({
    settings: z.record(z.string(), z.json()).default({}),
    state: z.enum(['present', 'absent']).default('present'),
    backup: absolutePath.default('/var/lib/meshctl/daemon.json.orig'),
    // Docker keeps the default bridge's address pool in its network store and puts it back on
    // docker0 at every start, whatever address docker0 was given: a changed `bridge` setting
    // takes effect only with the store reset. That loses user-defined networks, so a host that
    // has any is refused rather than silently stripped.
    reset_network_store: z.boolean().default(false),
  })
  .refine((p) => p.state === 'absent' || Object.keys(p.settings).length > 0, {
    message: 'settings must name at least one key when state is present',
    path: ['settings'],
  });

export type DockerDaemonParams = z.output<typeof params>;

export type DaemonBackup = { exists: false } | { exists: true; existed: boolean; original: JsonObject };

export interface DockerDaemonFacts {
  /** The settings in daemon.json ({} when there is no file) and its text (null: no file). Not read by `absent`. */
  daemon_json?: { exists: boolean; settings: JsonObject; text: string | null };
  backup: DaemonBackup;
  docker_active: boolean;
  /** User-defined Docker networks (only read with reset_network_store). */
  custom_networks: string[];
}

const NETWORK_STORE = '/var/lib/docker/network/files/local-kv.db';

export const dockerDaemon = defineModule<DockerDaemonParams, DockerDaemonFacts>({
  name: 'docker_daemon',
  params,
  facts(p) {
    const backup = fileFact(p.backup);
    const common = {
      backup: { command: backup.command, parse: (result: ExecResult) => parseBackup(p.backup, backup.parse(result)) },
      docker_active: { command: 'systemctl is-active docker', parse: parseDockerActive },
      custom_networks: {
        command: p.reset_network_store ? "docker network ls --filter type=custom --format '{{.Name}}' 2>/dev/null || true" : 'true',
        parse: (result: ExecResult) => result.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
      },
    };
    // `absent` does not need the current file: a broken one must not keep it from being restored.
    if (p.state === 'absent') return common;
    const daemonJson = fileFact(DAEMON_JSON);
    const parse = (result: ExecResult): NonNullable<DockerDaemonFacts['daemon_json']> => parseDaemonJson(daemonJson.parse(result));
    return { ...common, daemon_json: { command: daemonJson.command, parse } };
  },
  plan: (p, facts) => (p.state === 'present' ? planPresent(p, facts) : planAbsent(p, facts)),
});

function planPresent(p: DockerDaemonParams, facts: DockerDaemonFacts): Plan {
  const current = facts.daemon_json ?? { exists: false, settings: {}, text: null };
  const differing = Object.keys(p.settings).filter((key) => !isDeepStrictEqual(current.settings[key], p.settings[key]));
  if (differing.length === 0) return ok(`${DAEMON_JSON} has ${Object.keys(p.settings).join(', ')} as wanted`);

  const steps: Step[] = [];
  const dirs = [...(facts.backup.exists ? [] : [posix.dirname(p.backup)]), ...(current.exists ? [] : [posix.dirname(DAEMON_JSON)])];
  if (dirs.length > 0) steps.push(run(shellJoin(['mkdir', '-p', ...dirs])));
  // Only the first change saves: later ones would save meshctl's own settings as "original".
  if (!facts.backup.exists) {
    const backup = { existed: current.exists, original: current.settings };
    steps.push(put(p.backup, formatJson(backup), 0o644, null));
  }
  steps.push(put(DAEMON_JSON, formatJson({ ...current.settings, ...p.settings }), 0o644, current.text));
  refuseToLoseNetworks(p, facts);
  if (facts.docker_active) {
    steps.push(run(restartDocker({ previous: current.exists ? formatJson(current.settings) : null }, p.reset_network_store)));
  }
  const changes = differing.map((key) => `${key}=${JSON.stringify(p.settings[key])}`).join(', ');
  return change(`set ${changes} in ${DAEMON_JSON}${facts.docker_active ? ' and restart docker' : ' (docker is not running)'}`, steps);
}

function planAbsent(p: DockerDaemonParams, facts: DockerDaemonFacts): Plan {
  if (!facts.backup.exists) return ok(`no backup at ${p.backup}: meshctl has not changed ${DAEMON_JSON}`);
  const steps: Step[] = [];
  if (facts.backup.existed) steps.push(put(DAEMON_JSON, formatJson(facts.backup.original), 0o644));
  else steps.push(run(shellJoin(['rm', '-f', DAEMON_JSON])));
  refuseToLoseNetworks(p, facts);
  if (facts.docker_active) steps.push(run(restartDocker(undefined, p.reset_network_store)));
  // Last, so that a failed restart leaves the backup for the next try.
  steps.push(run(shellJoin(['rm', '-f', p.backup])));
  const restored = facts.backup.existed ? `restore ${DAEMON_JSON} from ${p.backup}` : `remove ${DAEMON_JSON} (there was none)`;
  return change(`${restored}${facts.docker_active ? ' and restart docker' : ''}`, steps);
}

function refuseToLoseNetworks(p: DockerDaemonParams, facts: DockerDaemonFacts): void {
  if (!p.reset_network_store || facts.custom_networks.length === 0) return;
  refuse(
    `the host has user-defined Docker networks (${facts.custom_networks.join(', ')}), which resetting Docker's network store ` +
      `to apply the bridge settings would delete: remove them (docker network rm) and run again`,
  );
}

/**
 * Restarts docker and checks that it runs. When it does not, the journal says why, and with
 * `rollback` the previous file (null: none) is put back: docker runs again, and the next run
 * retries instead of finding the new settings in place and calling it done.
 */
function restartDocker(rollback?: { previous: string | null }, resetStore = false): string {
  const file = shellQuote(DAEMON_JSON);
  const undo =
    rollback === undefined
      ? []
      : [
          rollback.previous === null ? `  rm -f ${file}` : `  printf '%s' ${shellQuote(rollback.previous)} > ${file}`,
          // A failed start counts against StartLimitBurst; forget it so that this start may run.
          '  systemctl reset-failed docker || true',
          '  systemctl restart docker || true',
        ];
  const outcome = rollback === undefined ? '' : ', which was put back as it was';
  const restart = resetStore
    ? `{ systemctl stop docker.socket docker && rm -f ${shellQuote(NETWORK_STORE)} && systemctl start docker; }`
    : 'systemctl restart docker';
  return [
    `if ! ${restart} || ! systemctl is-active --quiet docker; then`,
    '  journalctl -u docker -n 20 --no-pager >&2 || true',
    ...undo,
    `  echo ${shellQuote(`docker did not start after a change of ${DAEMON_JSON}${outcome}`)} >&2`,
    '  exit 1',
    'fi',
  ].join('\n');
}

/** 2-space indented with a trailing newline, as people write it. */
function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function parseJsonObject(path: string, text: string): JsonObject {
  // dockerd accepts an empty file as "no settings".
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FactParseError(`${path} is not valid JSON (${(error as Error).message}): fix it by hand, meshctl will not overwrite it`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FactParseError(`${path} does not hold a JSON object: fix it by hand, meshctl will not overwrite it`);
  }
  return value as JsonObject;
}

export function parseDaemonJson(file: FileText): NonNullable<DockerDaemonFacts['daemon_json']> {
  if (!file.exists) return { exists: false, settings: {}, text: null };
  return { exists: true, settings: parseJsonObject(DAEMON_JSON, file.text), text: file.text };
}

export function parseBackup(path: string, file: FileText): DaemonBackup {
  if (!file.exists) return { exists: false };
  const backup = parseJsonObject(path, file.text);
  const original = backup.original;
  if (typeof backup.existed !== 'boolean' || original === null || typeof original !== 'object' || Array.isArray(original)) {
    throw new FactParseError(`${path} is not a backup meshctl wrote ({"existed": ..., "original": {...}})`);
  }
  return { exists: true, existed: backup.existed, original };
}

/** `systemctl is-active docker`: "active" (exit 0), or inactive/failed/unknown (exit 3). */
export function parseDockerActive(result: ExecResult): boolean {
  return ['active', 'activating', 'reloading'].includes(result.stdout.trim());
}
