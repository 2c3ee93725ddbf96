// vxlan_routes: flannel's data path without its daemon. vxlan mode: a kernel VXLAN device
// (`nolearning`, a MAC derived from the host's underlay address, this subnet's network address
// /32) and per peer a static FDB entry, a permanent neighbour and a route to its subnet through the
// device; host-gw: per peer a route to its subnet via its underlay address. Both: a MASQUERADE
// rule for what leaves the pool (Docker's own is off: `ip-masq: false`), /run/flannel/subnet.env,
// and a boot unit that makes it all again. Stale peers' entries are removed; `absent` removes all.
// params: mode, device, vni, port, underlay {interface, address}, subnet, pool, mtu,
//   peers [{name, underlay_address, subnet}], ip_masq?, env_file?, script?, unit?, state.
//   - name: Routes to every peer's subnet
//     module: vxlan_routes
//     params: { underlay: { interface: eth1, address: 10.211.1.11 }, subnet: 10.240.1.0/24, pool: 10.240.0.0/16, mtu: 1450, peers: "{{ mesh.vxlan_peers }}" }
import { posix } from 'node:path';
import { z } from 'zod';
import { change, defineModule, ok, put, refuse, run, textBefore, type Plan, type Step } from '../engine/module.js';
import { isIPv4, isIPv4Network, rangeContains } from '../network/ipv4.js';
import { shellJoin } from '../transport/quote.js';
import { bootScriptParams } from './boot-script.js';
import { fileFact, type FileText } from './file-fact.js';
import { deviceFact, fdbFact, masqueradeFact, neighbourFact, routeFact, type DeviceFact, type FdbEntry, type MasqueradeRule, type NeighbourEntry, type RouteEntry } from './vxlan-routes-facts.js';
import { vxlanScript, vxlanUnit } from './vxlan-routes-script.js';
import { MASQUERADE_COMMENT, ROUTE_PROTO, wantedState, type VxlanSettings, type WantedState } from './vxlan-routes-state.js';

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be an interface name');
const address = z.string().refine(isIPv4, 'must be an IPv4 address');
const network = z.string().refine(isIPv4Network, 'must be an IPv4 network, e.g. 10.240.1.0/24');

const params = z
  .strictObject({
    mode: z.enum(['vxlan', 'host-gw']).default('vxlan'),
    device: ifname.default('flannel.1'),
    vni: z.number().int().min(1).max(16_777_215).default(1),
    port: z.number().int().min(1).max(65535).default(8472),
    underlay: z.strictObject({ interface: ifname, address }),
    subnet: network,
    pool: network,
    mtu: z.number().int().min(576).max(65535),
    peers: z.array(z.strictObject({ name: z.string().min(1), underlay_address: address, subnet: network })),
    ip_masq: z.boolean().default(true),
    env_file: z.string().regex(/^\/[A-Za-z0-9_.\/-]+$/, 'must be an absolute path of letters, digits and . _ - /').default('/run/flannel/subnet.env'),
    ...bootScriptParams({ script: '/usr/local/lib/meshctl/vxlan-routes.sh', unit: 'meshctl-vxlan-routes.service' }),
  })
  .refine((p) => rangeContains(p.pool, p.subnet.split('/')[0] ?? ''), { message: 'subnet must lie inside pool', path: ['subnet'] });
export type VxlanRoutesParams = z.output<typeof params>;

export interface VxlanRoutesFacts {
  device: DeviceFact | null;
  fdb: FdbEntry[];
  neighbours: NeighbourEntry[];
  routes: RouteEntry[];
  masquerade: MasqueradeRule[];
  env_file: FileText;
  script: FileText;
  unit: FileText;
  enabled: boolean;
}

export function vxlanSettingsOf(p: VxlanRoutesParams): VxlanSettings {
  return { mode: p.mode, device: p.device, vni: p.vni, port: p.port, underlay: p.underlay, subnet: p.subnet, pool: p.pool, mtu: p.mtu, peers: p.peers, ipMasq: p.ip_masq, envFile: p.env_file };
}

export const vxlanRoutes = defineModule<VxlanRoutesParams, VxlanRoutesFacts>({
  name: 'vxlan_routes',
  params,
  facts: (p) => ({
    device: deviceFact(p.device),
    fdb: fdbFact(p.device),
    neighbours: neighbourFact(p.device),
    routes: routeFact(),
    masquerade: masqueradeFact(),
    env_file: fileFact(p.env_file),
    script: fileFact(p.script),
    unit: fileFact(unitPath(p)),
    enabled: { command: shellJoin(['systemctl', 'is-enabled', p.unit]), parse: (r) => r.stdout.trim() === 'enabled' },
  }),
  plan: (p, facts) => (p.state === 'absent' ? planAbsent(p, facts) : planPresent(p, facts)),
});

const unitPath = (p: VxlanRoutesParams): string => `/etc/systemd/system/${p.unit}`;

function planPresent(p: VxlanRoutesParams, facts: VxlanRoutesFacts): Plan {
  const wanted = wantedState(vxlanSettingsOf(p));
  const reasons: string[] = [];
  const steps: Step[] = [];
  const script = vxlanScript(wanted);
  if (!(facts.script.exists && facts.script.text === script)) {
    reasons.push(`write ${p.script}`);
    steps.push(put(p.script, script, 0o755, textBefore(facts.script)));
  }
  const unit = vxlanUnit(p.script);
  if (!(facts.unit.exists && facts.unit.text === unit)) {
    reasons.push(`install ${p.unit}`);
    steps.push(put(unitPath(p), unit, 0o644, textBefore(facts.unit)), run('systemctl daemon-reload'));
  }
  if (!facts.enabled) {
    reasons.push(`enable ${p.unit} at boot`);
    steps.push(run(shellJoin(['systemctl', 'enable', p.unit])));
  }
  const live = liveDifferences(wanted, facts, p.device);
  reasons.push(...live.reasons);
  steps.push(...live.removals.map(run));
  if (live.missing) steps.push(run(shellJoin([p.script, 'apply'])));
  if (steps.length === 0) return ok(inPlace(p, wanted));
  return change(reasons.join('; '), steps);
}

function inPlace(p: VxlanRoutesParams, wanted: WantedState): string {
  const via = wanted.device === undefined ? `via their underlay addresses on ${p.underlay.interface} (host-gw)` : `through ${p.device} (VXLAN ${p.vni}, port ${p.port})`;
  return `${wanted.routes.length} peer subnet(s) routed ${via}, ${p.env_file} written, restored at boot by ${p.unit}`;
}

/** What differs on the host: reasons, commands that take away what is stale, and whether `apply` must run. */
class LiveDifferences {
  readonly reasons: string[] = [];
  /** Run before `apply`. */
  readonly removals: string[] = [];
  /** Something wanted is missing or wrong: `apply` makes it. */
  missing = false;

  want(reason: string): void {
    this.reasons.push(reason);
    this.missing = true;
  }

  stale(reason: string, command: string): void {
    this.reasons.push(reason);
    this.removals.push(command);
  }
}

function liveDifferences(wanted: WantedState, facts: VxlanRoutesFacts, deviceName: string): LiveDifferences {
  const found = new LiveDifferences();
  // A device deleted (or not there yet) takes its FDB entries, neighbours and routes with it.
  const deviceGone = deviceDifferences(found, wanted, facts.device, deviceName);
  if (wanted.device !== undefined) peerEntryDifferences(found, wanted, facts, deviceGone);
  routeDifferences(found, wanted, facts.routes.filter((r) => !(deviceGone && r.dev === deviceName)));
  masqueradeDifferences(found, wanted.masquerade, facts.masquerade);
  if (!(facts.env_file.exists && facts.env_file.text === wanted.envText)) found.want(`write ${wanted.envFile}`);
  return found;
}

/** Returns whether the device is missing or about to be deleted. */
function deviceDifferences(found: LiveDifferences, wanted: WantedState, device: DeviceFact | null, deviceName: string): boolean {
  const target = wanted.device;
  if (target === undefined) {
    if (device?.kind !== 'vxlan') return true;
    found.stale(`remove VXLAN device ${deviceName} (host-gw needs none)`, shellJoin(['ip', 'link', 'del', 'dev', deviceName]));
    return true;
  }
  if (device === null) {
    found.want(`create ${target.name}`);
    return true;
  }
  if (device.kind !== 'vxlan') {
    refuse(`${target.name} exists and is a ${device.kind} device, not a VXLAN one: meshctl does not delete what it did not make; remove it or set mesh.vxlan.device to another name`);
  }
  const fixed = [
    device.vni !== target.vni && `VNI ${device.vni}`,
    device.port !== target.port && `port ${device.port}`,
    device.local !== target.local && `local ${device.local}`,
    device.link !== target.link && `on ${device.link}`,
    device.learning !== false && 'learning on',
  ].filter((x): x is string => typeof x === 'string');
  if (fixed.length > 0) {
    // None of these can be changed on a live device: it is made again.
    const wantedShape = `wanted VNI ${target.vni}, port ${target.port}, local ${target.local} on ${target.link}, nolearning`;
    found.stale(`re-create ${target.name} (${fixed.join(', ')}; ${wantedShape})`, shellJoin(['ip', 'link', 'del', 'dev', target.name]));
    found.want(`create ${target.name}`);
    return true;
  }
  if (device.mtu !== target.mtu) found.want(`${target.name} mtu ${device.mtu}, not ${target.mtu}`);
  if (device.mac !== target.mac) found.want(`${target.name} MAC ${device.mac}, not ${target.mac}`);
  if (device.addresses.join(' ') !== target.address) found.want(`${target.name} has '${device.addresses.join(' ')}', not ${target.address}`);
  if (!device.up) found.want(`${target.name} is down`);
  return false;
}

function peerEntryDifferences(found: LiveDifferences, wanted: WantedState, facts: VxlanRoutesFacts, deviceGone: boolean): void {
  if (deviceGone) {
    if (wanted.peers.length > 0) found.want(`add FDB entries and neighbours for ${wanted.peers.map((peer) => peer.name).join(', ')}`);
    return;
  }
  const device = wanted.device?.name ?? '';
  const wantedFdb = new Set(wanted.peers.map((peer) => `${peer.mac} ${peer.underlay}`));
  for (const entry of facts.fdb) {
    if (entry.dst !== null && !wantedFdb.has(`${entry.mac} ${entry.dst}`)) {
      found.stale(`remove FDB entry ${entry.mac} → ${entry.dst}`, shellJoin(['bridge', 'fdb', 'del', entry.mac, 'dev', device, 'dst', entry.dst]));
    }
  }
  const wantedNeighbours = new Set(wanted.peers.map((peer) => peer.net));
  for (const entry of facts.neighbours) {
    if (!wantedNeighbours.has(entry.address)) found.stale(`remove neighbour ${entry.address}`, shellJoin(['ip', 'neigh', 'del', entry.address, 'dev', device]));
  }
  for (const peer of wanted.peers) {
    if (!facts.fdb.some((e) => e.mac === peer.mac && e.dst === peer.underlay)) found.want(`FDB entry for ${peer.name} (${peer.mac} → ${peer.underlay}) missing`);
    if (!facts.neighbours.some((e) => e.address === peer.net && e.mac === peer.mac && e.permanent)) found.want(`neighbour ${peer.net} (${peer.name}) missing`);
  }
}

function routeDifferences(found: LiveDifferences, wanted: WantedState, routes: readonly RouteEntry[]): void {
  const wantedDsts = new Set(wanted.routes.map((r) => r.dst));
  for (const route of routes) {
    if (!wantedDsts.has(route.dst)) found.stale(`remove route to ${route.dst} via ${route.gateway ?? route.dev}`, routeDelete(route));
  }
  for (const route of wanted.routes) {
    const same = routes.some((r) => r.dst === route.dst && r.gateway === route.gateway && r.dev === route.dev && r.onlink === route.onlink);
    if (!same) found.want(`route to ${route.dst} via ${route.gateway} dev ${route.dev} missing`);
  }
}

function masqueradeDifferences(found: LiveDifferences, wanted: WantedState['masquerade'], rules: readonly MasqueradeRule[]): void {
  for (const rule of rules) {
    if (wanted === undefined || rule.source !== wanted.source || rule.destination !== wanted.destination) {
      found.stale(`remove MASQUERADE ${rule.source} → ! ${rule.destination}`, masqueradeDelete(rule));
    }
  }
  if (wanted !== undefined && !rules.some((r) => r.source === wanted.source && r.destination === wanted.destination)) {
    found.want(`MASQUERADE ${wanted.source} → ! ${wanted.destination} missing`);
  }
}

const routeDelete = (route: RouteEntry): string => shellJoin(['ip', 'route', 'del', route.dst, 'dev', route.dev, 'proto', String(ROUTE_PROTO)]);

const masqueradeDelete = (rule: MasqueradeRule): string =>
  shellJoin(['iptables', '-w', '5', '-t', 'nat', '-D', 'POSTROUTING', '-s', rule.source, '!', '-d', rule.destination, '-m', 'comment', '--comment', MASQUERADE_COMMENT, '-j', 'MASQUERADE']);

function planAbsent(p: VxlanRoutesParams, facts: VxlanRoutesFacts): Plan {
  const leftovers: string[] = [];
  const steps: Step[] = [];
  if (facts.unit.exists) {
    leftovers.push(p.unit);
    steps.push(run(`${shellJoin(['systemctl', 'disable', '--now', p.unit])} >/dev/null 2>&1 || true`));
  }
  if (facts.device !== null && facts.device.kind === 'vxlan') {
    leftovers.push(p.device);
    steps.push(run(shellJoin(['ip', 'link', 'del', 'dev', p.device])));
  }
  for (const route of facts.routes.filter((r) => facts.device?.kind !== 'vxlan' || r.dev !== p.device)) {
    leftovers.push(`route to ${route.dst}`);
    steps.push(run(routeDelete(route)));
  }
  for (const rule of facts.masquerade) {
    leftovers.push(`MASQUERADE ${rule.source} → ! ${rule.destination}`);
    steps.push(run(masqueradeDelete(rule)));
  }
  const files = [facts.env_file.exists && p.env_file, facts.script.exists && p.script, facts.unit.exists && unitPath(p)].filter((f): f is string => typeof f === 'string');
  if (files.length > 0) {
    leftovers.push(...files.filter((f) => f !== unitPath(p)));
    steps.push(run(shellJoin(['rm', '-f', ...files])));
  }
  // /run/flannel was made for subnet.env; left there only if something else keeps a file in it.
  if (facts.env_file.exists) steps.push(run(`${shellJoin(['rmdir', posix.dirname(p.env_file)])} 2>/dev/null || true`));
  if (facts.unit.exists) steps.push(run('systemctl daemon-reload'));
  if (steps.length === 0) return ok(`nothing of vxlan_routes left (${p.device}, routes of proto ${ROUTE_PROTO}, ${p.env_file}, ${p.unit})`);
  return change(`remove ${leftovers.join(', ')}`, steps);
}
