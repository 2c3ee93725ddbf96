// docker_engine: checks, before any daemon is touched, that this host's Docker engine can do what
// the backend asks of it; changes nothing. params: cluster_store?: consul | etcd | zookeeper.
//   - name: The engine can use the store
//     module: docker_engine
//     params: { cluster_store: consul }
//
// Which engines accept which store is read from the host, not assumed from a version table:
// `cluster-store` left Docker in 23.0, and a 20.10 build carries only the stores compiled into
// it (Debian 12's docker.io has libkv's etcd and zookeeper but not consul; Debian 11's has all
// three). The stores are the libkv packages whose paths the dockerd binary holds.
import { z } from 'zod';
import { defineModule, FactParseError, ok, refuse } from '../engine/module.js';
import { KV_TYPES, type KvType } from '../kv/endpoints.js';
import type { ExecResult } from '../transport/connection.js';

// Docker's cluster stores are the stores meshctl runs.
export const CLUSTER_STORES = KV_TYPES;
export type ClusterStore = KvType;

const params = z.strictObject({
  cluster_store: z.enum(CLUSTER_STORES).optional(),
  /** false: say whether the engine can (outputs `can_use`) instead of refusing: overlay's `store: auto`. */
  required: z.boolean().default(true),
});

export type DockerEngineParams = z.output<typeof params>;

export interface EngineFacts {
  /** dockerd's own version line, e.g. "20.10.24+dfsg1"; null when no dockerd is installed. */
  version: string | null;
  /** The libkv stores built into the binary (empty on engines without cluster-store). */
  stores: string[];
}

export interface DockerEngineFacts {
  engine: EngineFacts;
}

// One command: the version and the store packages, read from the binary itself.
const ENGINE_COMMAND = [
  'bin=$(command -v dockerd || true)',
  'if [ -z "$bin" ]; then echo none; exit 0; fi',
  '"$bin" --version',
  "grep -a -o 'libkv/store/[a-z0-9]*' \"$bin\" | sort -u || true",
].join('\n');

export const dockerEngine = defineModule<DockerEngineParams, DockerEngineFacts>({
  name: 'docker_engine',
  params,
  facts: () => ({ engine: { command: ENGINE_COMMAND, parse: parseEngine } }),
  plan(p, { engine }) {
    if (engine.version === null) refuse('Docker is not installed here (no dockerd on PATH)');
    const version = `Docker ${engine.version}`;
    if (p.cluster_store === undefined) return ok(`${version}`);
    const store = p.cluster_store;
    const wayOut = wayOutFrom(store, engine.stores);
    const why = whyNot(engine, store);
    if (why === undefined) return ok(`${version} can use ${store === 'etcd' ? 'an' : 'a'} ${store} cluster store`);
    if (p.required) refuse(`${why}. ${wayOut}`);
    return ok(why);
  },
  outputs: (p, { engine }) => ({
    version: engine.version,
    store: p.cluster_store ?? null,
    can_use: engine.version !== null && p.cluster_store !== undefined && whyNot(engine, p.cluster_store) === undefined,
  }),
});

/** Why this engine cannot use the store, or undefined when it can. */
function whyNot(engine: EngineFacts, store: ClusterStore): string | undefined {
  const version = `Docker ${engine.version ?? '(none)'}`;
  const major = majorOf(engine.version ?? '0');
  if (major >= 23) return `${version} has no cluster-store (removed in Docker 23), so it cannot use a ${store} store`;
  if (!engine.stores.includes(store)) {
    const built = engine.stores.length === 0 ? 'no cluster store' : `only ${engine.stores.join(' and ')}`;
    return `${version} cannot use a ${store} cluster store: this build has ${built}`;
  }
  // Built in, and broken: seen with Debian's 20.10.5 and 20.10.24 (docs/backends/overlay.md).
  if (store === 'zookeeper' && major === 20) {
    return `${version} has the zookeeper store but crashes with it: dockerd panics (a nil endpoint count in libnetwork's store watch) as soon as a container joins an overlay`;
  }
  return undefined;
}

function wayOutFrom(store: ClusterStore, built: readonly string[]): string {
  const others = built.filter((s) => s !== store);
  return [
    'Ways out:',
    others.length > 0 ? `mesh.overlay.store: ${others.join(' or ')} (kv.type to match);` : '',
    store === 'zookeeper' ? '' : `an engine package that has ${store} (Debian 11's docker.io 20.10.5 has all three; package_sources can pin it);`,
    'or mesh.overlay.store: swarm (no external store).',
  ].filter(Boolean).join(' ');
}

function majorOf(version: string): number {
  return Number(/^(\d+)/.exec(version)?.[1] ?? 0);
}

export function parseEngine(result: ExecResult): EngineFacts {
  const lines = result.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (result.code !== 0) throw new FactParseError(`cannot read the Docker engine (exit ${result.code}): ${result.stderr.trim()}`);
  if (lines[0] === 'none') return { version: null, stores: [] };
  const version = /^Docker version ([^,\s]+)/.exec(lines[0] ?? '')?.[1];
  if (version === undefined) throw new FactParseError(`dockerd --version printed '${lines[0] ?? ''}', not 'Docker version X, build Y'`);
  // libkv's own helper packages (store, helpers, boltdb: a local file) are not cluster stores.
  const packages = new Set(lines.slice(1).map((line) => /^libkv\/store\/([a-z0-9]+)$/.exec(line)?.[1]));
  return { version, stores: CLUSTER_STORES.filter((store) => packages.has(store)) };
}
