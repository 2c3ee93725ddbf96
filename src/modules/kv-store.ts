// kv_store: runs one node of a key-value store (etcd, Consul or ZooKeeper) as a systemd service,
// clustered with the other nodes, and waits until it answers; `absent` removes it with its data.
// params: type, name (this node), address (its underlay IPv4), nodes [{name, address}] (all store
//   nodes in order, this one included: 1, 3 or 5), ports? (kv.ports: etcd client/peer, consul
//   http/server/serf_lan, zookeeper client/quorum/election), state?: present | absent,
//   wait_seconds? (default 90).
//   - name: Run the store
//     module: kv_store
//     params: { type: "{{ kv.type }}", name: "{{ host.name }}", address: "{{ host.underlay_address }}", nodes: "{{ kv.nodes }}" }
//
// Facts are the files meshctl writes and the units' states, never whether the store answers:
// that flaps, and a second run must find nothing to do. The wait runs after a (re)start only,
// which happens when a file changed or the unit is not active.
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, refuse, run, textBefore, type Plan, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin } from '../transport/quote.js';
import { fileFact, type FileText } from './file-fact.js';
import {
  dataDir,
  DEFAULT_PORTS,
  KV_CONFIG_DIR,
  kvKind,
  kvUnit,
  kvWaitScript,
  unitName,
  unitPath,
  type KvPorts,
  type KvSettings,
  type KvType,
} from './kv-store-kinds.js';

// Names go into etcd's initial-cluster (`name=url,...`) and into keys: no `=`, `,` or spaces.
const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a node name (letters, digits, _ . -)');
const ipv4 = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'must be an IPv4 address without prefix, e.g. 10.211.1.11');
const port = z.number().int().min(1).max(65535);
const QUORUM_SIZES = [1, 3, 5];

const params = z
  .strictObject({
    type: z.enum(['consul', 'etcd', 'zookeeper']),
    name: nodeName,
    address: ipv4,
    nodes: z.array(z.strictObject({ name: nodeName, address: ipv4 })),
    ports: z.record(z.string(), port).default({}),
    state: z.enum(['present', 'absent']).default('present'),
    wait_seconds: z.number().int().min(1).max(3600).default(90),
  })
  .superRefine((p, ctx) => {
    if (!QUORUM_SIZES.includes(p.nodes.length)) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: `must list 1, 3 or 5 store nodes (a quorum needs an odd count), got ${p.nodes.length}` });
    }
    for (const field of ['name', 'address'] as const) {
      const seen = p.nodes.map((n) => n[field]);
      const twice = seen.filter((value, i) => seen.indexOf(value) !== i);
      if (twice.length > 0) ctx.addIssue({ code: 'custom', path: ['nodes'], message: `two store nodes share the ${field} ${twice.join(', ')}` });
    }
    if (!p.nodes.some((n) => n.name === p.name && n.address === p.address)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `this node (${p.name}, ${p.address}) must be one of nodes` });
    }
    const known = Object.keys(DEFAULT_PORTS[p.type]);
    for (const key of Object.keys(p.ports).filter((k) => !known.includes(k))) {
      ctx.addIssue({ code: 'custom', path: ['ports', key], message: `${p.type} has no port '${key}' (known: ${known.join(', ')})` });
    }
  });

export type KvStoreParams = z.output<typeof params>;

export interface UnitState {
  load: string;
  active: string;
  file_state: string;
}

export interface KvStoreFacts {
  /** Files the store needs that are not there (its binaries). Not read by `absent`. */
  missing?: string[];
  /** meshctl's unit and the package's own. */
  units: { ours: UnitState; package: UnitState };
  unit_file: FileText;
  config: FileText;
  /** zookeeper's node id in its data dir (present only). */
  myid?: FileText;
  data_dir: boolean;
}

export function settingsOf(p: KvStoreParams): KvSettings {
  return { type: p.type, name: p.name, address: p.address, nodes: p.nodes, ports: { ...DEFAULT_PORTS[p.type], ...p.ports } as KvPorts[KvType] };
}

export const kvStore = defineModule<KvStoreParams, KvStoreFacts>({
  name: 'kv_store',
  params,
  facts(p) {
    const kind = kvKind(p.type);
    const s = settingsOf(p);
    const common = {
      units: {
        command: shellJoin(['systemctl', 'show', '-p', 'Id', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'UnitFileState', unitName(p.type), kind.packageUnit]),
        parse: (result: ExecResult) => parseUnits(unitName(p.type), kind.packageUnit, result),
      },
      unit_file: fileFact(unitPath(p.type)),
      config: fileFact(kind.config(s).path),
      data_dir: {
        command: shellJoin(['test', '-d', dataDir(p.type)]),
        parse: parseTest,
      },
    };
    if (p.state === 'absent') return common;
    const missing = { command: `for f in ${shellJoin(kind.requires)}; do [ -e "$f" ] || echo "$f"; done`, parse: parseMissing };
    const myid = kind.myid?.(s);
    return myid === undefined ? { ...common, missing } : { ...common, missing, myid: fileFact(myid.path) };
  },
  plan: (p, facts) => (p.state === 'present' ? planPresent(p, facts) : planAbsent(p, facts)),
});

function planPresent(p: KvStoreParams, facts: KvStoreFacts): Plan {
  const kind = kvKind(p.type);
  const s = settingsOf(p);
  const unit = unitName(p.type);
  const { ours, package: theirs } = facts.units;
  const missing = facts.missing ?? [];
  if (missing.length > 0) refuse(`${p.type} is not installed (no ${missing.join(', ')}): install ${kind.packages.join(', ')} first`);
  if (ours.load === 'masked') refuse(`${unit} is masked: unmask it first (systemctl unmask ${unit})`);

  const steps: Step[] = [];
  const reasons: string[] = [];
  let restart = false;
  if (theirs.load !== 'masked' && theirs.load !== 'not-found') {
    steps.push(run(shellJoin(['systemctl', 'mask', '--now', kind.packageUnit])));
    reasons.push(`stop and mask ${kind.packageUnit} (the package's own, on the same ports)`);
  }
  if (!facts.data_dir) {
    steps.push(run(shellJoin(['install', '-d', '-o', kind.user, '-g', kind.user, '-m', '0700', dataDir(p.type)])));
    reasons.push(`create ${dataDir(p.type)}`);
  }
  const files = [{ want: kind.config(s), have: facts.config }];
  const myid = kind.myid?.(s);
  if (myid !== undefined) files.push({ want: myid, have: facts.myid ?? { exists: false } });
  for (const { want, have } of files) {
    if (sameText(have, want.content)) continue;
    if (want.path.startsWith(`${KV_CONFIG_DIR}/`) && !have.exists) steps.push(run(shellJoin(['mkdir', '-p', KV_CONFIG_DIR])));
    steps.push(put(want.path, want.content, want.mode, textBefore(have)));
    reasons.push(`write ${want.path}`);
    restart = true;
  }
  const unitText = kvUnit(p.type);
  if (!sameText(facts.unit_file, unitText)) {
    steps.push(put(unitPath(p.type), unitText, 0o644, textBefore(facts.unit_file)), run('systemctl daemon-reload'));
    reasons.push(`install ${unit}`);
    restart = true;
  }
  if (ours.file_state !== 'enabled') {
    steps.push(run(shellJoin(['systemctl', 'enable', unit])));
    reasons.push(`enable ${unit} at boot`);
  }
  const active = ours.active === 'active';
  if (restart || !active) {
    // --no-block: the wait below is the bound, not systemd's start timeout (etcd, a notify
    // service, reports ready only once its peers make a quorum).
    const verb = active ? 'restart' : 'start';
    steps.push(
      run(`${shellJoin(['systemctl', 'reset-failed', unit])} >/dev/null 2>&1 || true`),
      run(shellJoin(['systemctl', verb, '--no-block', unit])),
      run(kvWaitScript(s, p.wait_seconds)),
    );
    reasons.push(`${verb} ${unit} and wait until it answers (at most ${p.wait_seconds}s)`);
  }
  if (steps.length === 0) return ok(`${p.type} on ${p.name}: configured, active (${clusterOf(s)})`);
  return change(reasons.join('; '), steps);
}

function planAbsent(p: KvStoreParams, facts: KvStoreFacts): Plan {
  const kind = kvKind(p.type);
  const unit = unitName(p.type);
  const config = kind.config(settingsOf(p)).path;
  const ours = facts.units.ours.load !== 'not-found' || facts.unit_file.exists;
  const leftovers = [...(ours ? [unit] : []), ...(facts.config.exists ? [config] : []), ...(facts.data_dir ? [`${dataDir(p.type)} (the store's data)`] : [])];
  if (leftovers.length === 0) return ok(`no ${p.type} store on ${p.name} (${unit}, ${config}, ${dataDir(p.type)})`);

  const steps: Step[] = [];
  const reasons = [`remove ${leftovers.join(', ')}`];
  if (ours) steps.push(run(`${shellJoin(['systemctl', 'disable', '--now', unit])} >/dev/null 2>&1 || true`));
  // meshctl masked it; a mask found without meshctl's files is someone else's.
  if (facts.units.package.load === 'masked' && (ours || facts.config.exists)) {
    steps.push(run(shellJoin(['systemctl', 'unmask', kind.packageUnit])));
    reasons.push(`unmask ${kind.packageUnit}`);
  }
  steps.push(run(shellJoin(['rm', '-rf', '--', unitPath(p.type), config, dataDir(p.type)])));
  steps.push(run(`${shellJoin(['rmdir', KV_CONFIG_DIR])} 2>/dev/null || true`));
  if (ours) {
    steps.push(run('systemctl daemon-reload'));
    // A store stopped by `disable --now` may exit non-zero (Consul does): left 'failed' in systemd.
    steps.push(run(`${shellJoin(['systemctl', 'reset-failed', unit])} >/dev/null 2>&1 || true`));
  }
  return change(reasons.join('; '), steps);
}

function clusterOf(s: KvSettings): string {
  return s.nodes.length === 1 ? 'single node' : `cluster of ${s.nodes.length}: ${s.nodes.map((n) => n.name).join(', ')}`;
}

function sameText(file: FileText, content: string): boolean {
  return file.exists && file.text === content;
}

/** `systemctl show -p Id -p ... A B`: one block of `Key=value` lines per unit, a blank line between. */
export function parseUnits(ours: string, theirs: string, result: ExecResult): KvStoreFacts['units'] {
  if (result.code !== 0) throw new FactParseError(`cannot read the units' states from systemctl (exit ${result.code ?? result.signal})`);
  const byId = new Map<string, UnitState>();
  for (const block of result.stdout.split(/\n\s*\n/)) {
    const values = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
    const id = values.get('Id');
    const load = values.get('LoadState');
    const active = values.get('ActiveState');
    if (id !== undefined && load !== undefined && active !== undefined) byId.set(id, { load, active, file_state: values.get('UnitFileState') ?? '' });
  }
  const state = (name: string): UnitState => {
    const found = byId.get(name);
    if (found === undefined) throw new FactParseError(`systemctl show printed no state for ${name}`);
    return found;
  };
  return { ours: state(ours), package: state(theirs) };
}

/** `test -d DIR`: exit 0 yes, 1 no; anything else is no answer. */
export function parseTest(result: ExecResult): boolean {
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  throw new FactParseError(`test failed (exit ${result.code ?? result.signal})`);
}

/** One missing path a line. */
export function parseMissing(result: ExecResult): string[] {
  if (result.code !== 0) throw new FactParseError(`cannot check the store's files (exit ${result.code ?? result.signal})`);
  return result.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}
