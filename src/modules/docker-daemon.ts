// docker_daemon: sets keys of /etc/docker/daemon.json (others kept) and restarts docker; `absent`
// puts the file back as it was. params: settings (the playbook's own), user_settings? (the
// inventory's docker.daemon), insecure_tcp?, state?: present | absent, backup?: path.
//   - name: Put docker0 in the host's slice
//     module: docker_daemon
//     params:
//       settings: { bridge: docker0, fixed-cidr: "10.240.1.0/24", mtu: 1462 }
//       user_settings: "{{ docker.daemon }}"
//       insecure_tcp: "{{ docker.insecure_tcp }}"
//
// The first change saves the original settings (or that there was no file) to `backup`, with the
// keys meshctl set; `absent` writes them back as the whole file (2-space JSON), so keys added by
// hand since are dropped too. A key meshctl set and no longer wants gets its original value back.
// User settings that fight the playbook's are refused with the params, before any connection
// (src/modules/daemon-settings.ts says which fight which).
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, notice, put, refuse, run, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import {
  conflictWithin,
  conflictWithOwn,
  insecureTcpHosts,
  insecureTcpWarning,
  lacksLocalSocket,
  LOCAL_SOCKETS,
  missingTls,
  type JsonObject,
} from './daemon-settings.js';
import { fileFact, type FileText } from './file-fact.js';
import { hostsDropIn, parseDockerUnit, type DockerUnit } from './docker-unit.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
/** meshctl's drop-in clearing `-H` from dockerd's command line, which dockerd refuses next to `hosts` in daemon.json. */
export const HOSTS_DROP_IN = '/etc/systemd/system/docker.service.d/meshctl-hosts.conf';

const absolutePath = z.string().regex(/^\/[^\n]*[^/\n]$/, 'must be an absolute file path');
const jsonObject = z.record(z.string(), z.json()) as z.ZodType<JsonObject>;

const params = z
  .strictObject({
    settings: jsonObject.default({}),
    // Left out by playbooks that pass no user settings; `{}` from an inventory without docker.daemon.
    user_settings: jsonObject.optional(),
    insecure_tcp: z.boolean().default(false),
    state: z.enum(['present', 'absent']).default('present'),
    backup: absolutePath.default('/var/lib/meshctl/daemon.json.orig'),
    // Docker keeps the default bridge's address pool in its network store and puts it back on
    // docker0 at every start, whatever address docker0 was given: a changed `bridge` setting
    // takes effect only with the store reset. That loses user-defined networks, so a host that
    // has any is refused rather than silently stripped.
    reset_network_store: z.boolean().default(false),
  })
  .refine((p) => p.state === 'absent' || Object.keys(p.settings).length > 0 || p.user_settings !== undefined, {
    message: 'settings must name at least one key when state is present',
    path: ['settings'],
  })
  .superRefine((p, ctx) => {
    if (p.state === 'absent' || p.user_settings === undefined) return;
    const user = p.user_settings;
    for (const key of Object.keys(user)) {
      const message = conflictWithOwn(key, p.settings) ?? conflictWithin(key, user);
      if (message !== undefined) ctx.addIssue({ code: 'custom', path: ['user_settings', key], message });
    }
    if (!p.insecure_tcp) {
      for (const { index, host } of insecureTcpHosts(user)) {
        ctx.addIssue({
          code: 'custom',
          path: ['user_settings', 'hosts', index],
          message: `${host} opens the Docker API without TLS (missing ${missingTls(user)}): anyone who reaches it is root on the host; add them, or set docker.insecure_tcp: true`,
        });
      }
    }
    if (lacksLocalSocket(user)) {
      ctx.addIssue({
        code: 'custom',
        path: ['user_settings', 'hosts'],
        message: `hosts must keep the local socket (${LOCAL_SOCKETS.join(' or ')}): meshctl and docker on the host talk to the daemon there`,
      });
    }
  });

export type DockerDaemonParams = z.output<typeof params>;

/** `managed`: the keys meshctl set (left out in backups older than it). */
export type DaemonBackup = { exists: false } | { exists: true; existed: boolean; original: JsonObject; managed?: string[] };

export interface DockerDaemonFacts {
  /** The settings in daemon.json ({} when there is no file) and its text (null: no file). Not read by `absent`. */
  daemon_json?: { exists: boolean; settings: JsonObject; text: string | null };
  backup: DaemonBackup;
  /** meshctl's drop-in for docker.service. */
  hosts_drop_in: FileText;
  /** docker.service's own unit file (only read when meshctl sets `hosts`). */
  docker_unit?: DockerUnit;
  docker_active: boolean;
  /** User-defined Docker networks (only read with reset_network_store). */
  custom_networks: string[];
}

const NETWORK_STORE = '/var/lib/docker/network/files/local-kv.db';
const UNIT_COMMAND = [
  "unit=$(systemctl show -p FragmentPath --value docker.service 2>/dev/null) || unit=''",
  'if [ -n "$unit" ] && [ -f "$unit" ]; then echo "meshctl:unit $unit"; cat "$unit"; else echo meshctl:no-unit; fi',
].join('\n');

export const dockerDaemon = defineModule<DockerDaemonParams, DockerDaemonFacts>({
  name: 'docker_daemon',
  params,
  facts(p) {
    const backup = fileFact(p.backup);
    const common = {
      backup: { command: backup.command, parse: (result: ExecResult) => parseBackup(p.backup, backup.parse(result)) },
      hosts_drop_in: fileFact(HOSTS_DROP_IN),
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
    const withFile = { ...common, daemon_json: { command: daemonJson.command, parse } };
    if (!('hosts' in managedSettings(p))) return withFile;
    return { ...withFile, docker_unit: { command: UNIT_COMMAND, parse: (result: ExecResult) => parseDockerUnit(result) } };
  },
  plan: (p, facts) => (p.state === 'present' ? planPresent(p, facts) : planAbsent(p, facts)),
});

/** What meshctl writes: the user's keys, then the playbook's (which win; a clash is refused with the params). */
function managedSettings(p: DockerDaemonParams): JsonObject {
  return { ...p.user_settings, ...p.settings };
}

function planPresent(p: DockerDaemonParams, facts: DockerDaemonFacts): Plan {
  const current = facts.daemon_json ?? { exists: false, settings: {}, text: null };
  const managed = managedSettings(p);
  const backup = facts.backup;
  const managedBefore = backup.exists ? (backup.managed ?? []) : [];
  // Keys meshctl set that the inventory dropped: back to what the host had before meshctl.
  const released = managedBefore.filter((key) => !(key in managed));
  const original = backup.exists ? backup.original : {};
  const wanted: JsonObject = { ...current.settings };
  for (const key of released) {
    if (key in original) wanted[key] = original[key] ?? null;
    else delete wanted[key];
  }
  Object.assign(wanted, managed);
  const differing = Object.keys(managed).filter((key) => !isDeepStrictEqual(current.settings[key], managed[key]));
  const restored = released.filter((key) => !isDeepStrictEqual(current.settings[key], wanted[key]));
  const fileChanges = differing.length > 0 || restored.length > 0;

  const dropIn = wantedDropIn(managed, facts.docker_unit);
  const dropInChanges = dropIn === null ? facts.hosts_drop_in.exists : !(facts.hosts_drop_in.exists && facts.hosts_drop_in.text === dropIn);
  const managedKeys = Object.keys(managed).sort();
  // A backup from before user settings (no `managed`) held only the playbook's keys, which are
  // always wanted: it needs the record only once the inventory adds keys of its own.
  const recordChanges =
    backup.exists &&
    (backup.managed === undefined ? Object.keys(p.user_settings ?? {}).length > 0 : !isDeepStrictEqual([...backup.managed].sort(), managedKeys));
  const insecure = insecureTcpHosts(managed);
  const warning = insecure.length > 0 ? `; ${insecureTcpWarning(insecure)}` : '';

  if (!fileChanges && !dropInChanges && !recordChanges) {
    const reason = managedKeys.length === 0 ? `no settings for ${DAEMON_JSON}` : `${DAEMON_JSON} has ${Object.keys(managed).join(', ')} as wanted`;
    return insecure.length > 0 ? notice(`${reason}${warning}`) : ok(reason);
  }

  const steps: Step[] = [];
  const dirs = [
    ...(backup.exists ? [] : [posix.dirname(p.backup)]),
    ...(current.exists || !fileChanges ? [] : [posix.dirname(DAEMON_JSON)]),
    ...(dropIn !== null && dropInChanges ? [posix.dirname(HOSTS_DROP_IN)] : []),
  ];
  if (dirs.length > 0) steps.push(run(shellJoin(['mkdir', '-p', ...dirs])));
  // The original is saved once: later changes would save meshctl's own settings as "original".
  if (!backup.exists) steps.push(put(p.backup, formatJson({ existed: current.exists, original: current.settings, managed: managedKeys }), 0o644, null));
  else if (recordChanges) {
    steps.push(put(p.backup, formatJson({ existed: backup.existed, original: backup.original, managed: managedKeys }), 0o644));
  }
  if (fileChanges) steps.push(put(DAEMON_JSON, formatJson(wanted), 0o644, current.text));
  if (dropInChanges) {
    steps.push(dropIn === null ? run(shellJoin(['rm', '-f', HOSTS_DROP_IN])) : put(HOSTS_DROP_IN, dropIn, 0o644, textOf(facts.hosts_drop_in)));
    steps.push(run('systemctl daemon-reload'));
  }
  const restart = facts.docker_active && (fileChanges || dropInChanges);
  if (fileChanges || dropInChanges) refuseToLoseNetworks(p, facts);
  if (restart) {
    const rollback: Rollback = {
      daemonJson: fileChanges ? { previous: current.exists ? formatJson(current.settings) : null } : undefined,
      dropIn: dropInChanges ? { previous: textOf(facts.hosts_drop_in) } : undefined,
    };
    steps.push(run(restartDocker(rollback, p.reset_network_store)));
  }

  const dataRoot = dataRootChange(current.settings, wanted);
  const reasons = [
    ...(differing.length > 0 ? [`set ${differing.map((key) => `${key}=${JSON.stringify(managed[key])}`).join(', ')}`] : []),
    ...(restored.length > 0 ? [`put back ${restored.map((key) => (key in wanted ? `${key}=${JSON.stringify(wanted[key])}` : `no ${key}`)).join(', ')} as the host had it`] : []),
  ];
  const fileReason = reasons.length > 0 ? `${reasons.join(', ')} in ${DAEMON_JSON}` : `record the keys meshctl manages in ${p.backup}`;
  const dropInReason = !dropInChanges ? '' : dropIn === null ? `, remove ${HOSTS_DROP_IN}` : `, ${HOSTS_DROP_IN} clears -H from dockerd's command line (hosts is in ${DAEMON_JSON})`;
  const unitMissing = 'hosts' in managed && facts.docker_unit?.found === false ? ' (docker.service is not installed yet: its -H flag is cleared once it is)' : '';
  const restartReason = restart ? ' and restart docker' : fileChanges || dropInChanges ? (facts.docker_active ? '' : ' (docker is not running)') : '';
  const dataRootReason = dataRoot === undefined ? '' : `; ${dataRoot}`;
  const reason = `${fileReason}${dropInReason}${unitMissing}${restartReason}${dataRootReason}${warning}`;
  return change(reason, steps, { notice: dataRoot !== undefined || insecure.length > 0 });
}

/** Docker's own default when daemon.json names no data-root. */
const DEFAULT_DATA_ROOT = '/var/lib/docker';

function dataRootChange(before: JsonObject, after: JsonObject): string | undefined {
  const from = before['data-root'] ?? DEFAULT_DATA_ROOT;
  const to = after['data-root'] ?? DEFAULT_DATA_ROOT;
  if (isDeepStrictEqual(from, to)) return undefined;
  return (
    `data-root changes from ${String(from)} to ${String(to)}: the images, containers and volumes under ${String(from)} stay there, ` +
    `neither moved nor deleted, and docker starts without them (copy them over by hand if they are needed)`
  );
}

/** The drop-in this host needs: with `hosts` set and a unit that passes -H, its ExecStart without -H. */
function wantedDropIn(managed: JsonObject, unit: DockerUnit | undefined): string | null {
  if (!('hosts' in managed) || unit === undefined || !unit.found || !unit.hostFlags) return null;
  return hostsDropIn(unit);
}

function planAbsent(p: DockerDaemonParams, facts: DockerDaemonFacts): Plan {
  const dropIn = facts.hosts_drop_in.exists;
  if (!facts.backup.exists && !dropIn) return ok(`no backup at ${p.backup}: meshctl has not changed ${DAEMON_JSON}`);
  const steps: Step[] = [];
  if (facts.backup.exists) {
    if (facts.backup.existed) steps.push(put(DAEMON_JSON, formatJson(facts.backup.original), 0o644));
    else steps.push(run(shellJoin(['rm', '-f', DAEMON_JSON])));
  }
  if (dropIn) steps.push(run(shellJoin(['rm', '-f', HOSTS_DROP_IN])), run('systemctl daemon-reload'));
  refuseToLoseNetworks(p, facts);
  if (facts.docker_active) steps.push(run(restartDocker(undefined, p.reset_network_store)));
  // Last, so that a failed restart leaves the backup for the next try.
  if (facts.backup.exists) steps.push(run(shellJoin(['rm', '-f', p.backup])));
  const restored = !facts.backup.exists
    ? `remove ${HOSTS_DROP_IN}`
    : `${facts.backup.existed ? `restore ${DAEMON_JSON} from ${p.backup}` : `remove ${DAEMON_JSON} (there was none)`}${dropIn ? ` and ${HOSTS_DROP_IN}` : ''}`;
  return change(`${restored}${facts.docker_active ? ' and restart docker' : ''}`, steps);
}

function refuseToLoseNetworks(p: DockerDaemonParams, facts: DockerDaemonFacts): void {
  if (!p.reset_network_store || facts.custom_networks.length === 0) return;
  refuse(
    `the host has user-defined Docker networks (${facts.custom_networks.join(', ')}), which resetting Docker's network store ` +
      `to apply the bridge settings would delete: remove them (docker network rm) and run again`,
  );
}

/** What a failed restart puts back: each file's previous text (null: there was none). */
interface Rollback {
  daemonJson?: { previous: string | null } | undefined;
  dropIn?: { previous: string | null } | undefined;
}

/** Put back through a temp file beside it and a rename: an interrupted restore leaves no half file. */
function restoreLines(path: string, previous: string | null): string[] {
  if (previous === null) return [`  rm -f ${shellQuote(path)}`];
  const staged = shellQuote(`${path}.meshctl-restore`);
  return [`  printf '%s' ${shellQuote(previous)} > ${staged}`, `  mv -f -- ${staged} ${shellQuote(path)}`];
}

/**
 * Restarts docker and checks that it runs. When it does not, the journal says why, and with
 * `rollback` the previous files are put back: docker runs again, and the next run retries
 * instead of finding the new settings in place and calling it done.
 */
function restartDocker(rollback?: Rollback, resetStore = false): string {
  const undo =
    rollback === undefined
      ? []
      : [
          ...(rollback.daemonJson === undefined ? [] : restoreLines(DAEMON_JSON, rollback.daemonJson.previous)),
          ...(rollback.dropIn === undefined ? [] : [...restoreLines(HOSTS_DROP_IN, rollback.dropIn.previous), '  systemctl daemon-reload || true']),
          // A failed start counts against StartLimitBurst; forget it so that this start may run.
          '  systemctl reset-failed docker || true',
          '  systemctl restart docker || true',
        ];
  const what = rollback?.daemonJson === undefined && rollback?.dropIn !== undefined ? HOSTS_DROP_IN : DAEMON_JSON;
  const outcome = rollback === undefined ? '' : ', which was put back as it was';
  const restart = resetStore
    ? `{ systemctl stop docker.socket docker && rm -f ${shellQuote(NETWORK_STORE)} && systemctl start docker; }`
    : 'systemctl restart docker';
  return [
    `if ! ${restart} || ! systemctl is-active --quiet docker; then`,
    '  journalctl -u docker -n 20 --no-pager >&2 || true',
    ...undo,
    `  echo ${shellQuote(`docker did not start after a change of ${what}${outcome}`)} >&2`,
    '  exit 1',
    'fi',
  ].join('\n');
}

function textOf(file: FileText): string | null {
  return file.exists ? file.text : null;
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
  const { original, managed } = backup;
  const managedValid = managed === undefined || (Array.isArray(managed) && managed.every((key) => typeof key === 'string'));
  if (typeof backup.existed !== 'boolean' || original === null || typeof original !== 'object' || Array.isArray(original) || !managedValid) {
    throw new FactParseError(`${path} is not a backup meshctl wrote ({"existed": ..., "original": {...}, "managed": [...]})`);
  }
  const parsed = { exists: true as const, existed: backup.existed, original };
  return managed === undefined ? parsed : { ...parsed, managed: managed as string[] };
}

/** `systemctl is-active docker`: "active" (exit 0), or inactive/failed/unknown (exit 3). */
export function parseDockerActive(result: ExecResult): boolean {
  return ['active', 'activating', 'reloading'].includes(result.stdout.trim());
}
