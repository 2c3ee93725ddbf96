// `docker:` at the top level, in a group and on a host: `daemon` (keys of /etc/docker/daemon.json,
// merged per key, the nearest layer wins, like vars) and `insecure_tcp` (the nearest wins).
// Known keys are typed; any other key goes to daemon.json as written (dockerd is the judge of
// those), except one spelled like a known key, which is refused with a did-you-mean.
import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { isIPv4Network, rangesOverlap } from '../network/ipv4.js';
import { insecureTcpHosts, lacksLocalSocket, LOCAL_SOCKETS, missingTls, type JsonObject } from '../modules/daemon-settings.js';
import { hostLayers } from './layers.js';
import type { FieldPath } from './locate.js';
import type { RawInventory } from './schema.js';
import { closest } from './suggest.js';

const absolutePath = z.string().regex(/^\/[^\n]*[^/\n]$/, 'must be an absolute path');

const typedKeys = {
  'data-root': absolutePath.describe("where Docker keeps images, containers and volumes (the recipes' graph); default /var/lib/docker"),
  'insecure-registries': z.array(z.string().min(1)).describe('registries (host:port or CIDR) reached over plain HTTP'),
  'registry-mirrors': z.array(z.url({ protocol: /^https?$/ })).describe('pull-through mirrors of Docker Hub (http:// or https:// URLs)'),
  'log-driver': z.string().min(1).describe('the containers\' default logging driver (json-file, journald, ...)'),
  'log-opts': z.record(z.string(), z.string()).describe('options of the log driver; dockerd takes strings only ("3", not 3)'),
  'default-address-pools': z
    .array(z.strictObject({ base: z.string().min(1).describe('an IPv4 network'), size: z.number().int().min(1).max(32).describe('prefix of each network taken from base') }))
    .describe('where Docker takes the subnets of networks it creates; must not overlap the mesh pool'),
  hosts: z.array(z.string().regex(/^(?:unix|tcp|fd):\/\//, 'must be unix://PATH, tcp://HOST:PORT or fd://')).describe('where the API listens; keep the local socket'),
  tls: z.boolean().describe('TLS on the TCP listeners (without tlsverify, any client gets in)'),
  tlsverify: z.boolean().describe('TLS and client certificates checked against tlscacert'),
  tlscacert: absolutePath.describe('CA that signs the clients\' certificates (a path on the host)'),
  tlscert: absolutePath.describe("the daemon's certificate (a path on the host)"),
  tlskey: absolutePath.describe("the daemon's key (a path on the host)"),
};
const TYPED_KEYS = Object.keys(typedKeys);

export const dockerSchema = z
  .strictObject({
    daemon: z
      .object(Object.fromEntries(Object.entries(typedKeys).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof typeof typedKeys]: z.ZodOptional<(typeof typedKeys)[K]> })
      .catchall(z.json())
      .optional()
      .describe('keys of /etc/docker/daemon.json, merged with the backend\'s own (which may not be set here); per key, the nearest layer wins'),
    insecure_tcp: z.boolean().optional().describe('allow tcp:// in daemon.hosts without tlsverify and certificates (every run warns)'),
  })
  .describe('Docker daemon settings: at the top level, in a group or on a host');

export interface ResolvedDocker {
  daemon: JsonObject;
  insecureTcp: boolean;
  /** Where each daemon key was written: the inventory path of the nearest layer's key. */
  daemonSources: Record<string, FieldPath>;
}

/** One host's settings, merged from its layers. */
export function resolveDocker(raw: RawInventory, hostIndex: number): ResolvedDocker {
  const daemon: JsonObject = {};
  const daemonSources: Record<string, FieldPath> = {};
  let insecureTcp = false;
  for (const layer of hostLayers(raw, hostIndex)) {
    const docker = layer.settings.docker;
    if (docker === undefined) continue;
    for (const [key, value] of Object.entries(docker.daemon ?? {})) {
      if (value === undefined) continue;
      daemon[key] = value as JsonObject[string];
      daemonSources[key] = [...layer.path, 'docker', 'daemon', key];
    }
    insecureTcp = docker.insecure_tcp ?? insecureTcp;
  }
  return { daemon, insecureTcp, daemonSources };
}

/**
 * Per host, on its merged settings (a TCP listener from a group and TLS files from the host are
 * one configuration): listeners without TLS, the local socket kept, pools clear of the mesh pool,
 * keys that look like a misspelt known key. Each problem is reported once, where it was written.
 */
export function checkDocker(raw: RawInventory, pool: string): FieldProblem[] {
  const problems = new Map<string, FieldProblem>();
  const add = (path: FieldPath, message: string): void => {
    const key = `${path.join('.')}: ${message}`;
    if (!problems.has(key)) problems.set(key, { path, message });
  };
  raw.hosts.forEach((_, index) => {
    const { daemon, insecureTcp, daemonSources } = resolveDocker(raw, index);
    const at = (key: string): FieldPath => daemonSources[key] ?? [];
    for (const key of Object.keys(daemon).filter((k) => !TYPED_KEYS.includes(k))) {
      const meant = closest(key, TYPED_KEYS);
      if (meant !== undefined) add(at(key), `unknown daemon.json key (did you mean ${meant}?): dockerd does not start with a key it does not know`);
    }
    if (!insecureTcp) {
      for (const { index: i, host } of insecureTcpHosts(daemon)) {
        add([...at('hosts'), i], `${host} opens the Docker API without TLS (missing ${missingTls(daemon)}): anyone who reaches it is root on the host; add them, or set docker.insecure_tcp: true`);
      }
    }
    if (lacksLocalSocket(daemon)) {
      add(at('hosts'), `must keep the local socket (${LOCAL_SOCKETS.join(' or ')}): meshctl and docker on the host talk to the daemon there`);
    }
    const pools = daemon['default-address-pools'];
    if (Array.isArray(pools) && isIPv4Network(pool)) {
      pools.forEach((entry, i) => {
        const base = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? entry.base : undefined;
        if (typeof base !== 'string') return;
        if (!isIPv4Network(base)) add([...at('default-address-pools'), i, 'base'], `'${base}' is not an IPv4 network such as 10.200.0.0/16`);
        else if (rangesOverlap(base, pool)) add([...at('default-address-pools'), i, 'base'], `${base} overlaps the mesh pool ${pool}: Docker would hand out the mesh's addresses to networks of its own`);
      });
    }
  });
  return [...problems.values()];
}
