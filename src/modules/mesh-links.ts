// mesh_links: docker0 with the host's gateway address, a veth pair from it into the OVS bridge,
// and on the netdev datapath the underlay address moved onto the OVS underlay bridge; plus a
// boot unit that re-creates all of it, since Linux keeps none of these links across a reboot.
// params: ovs_bridge, docker_bridge, address (docker0's own address with its prefix), mtu,
//   routes? (networks routed through docker0, e.g. the whole pool when each host has its own
//   subnet), underlay? {interface, bridge}, veth? {bridge_end, ovs_end}, tx_checksum_off?,
//   state (present|absent).
//   - name: docker0 on the mesh
//     module: mesh_links
//     params: { ovs_bridge: br0, docker_bridge: docker0, address: "{{ mesh.gateway_cidr }}", mtu: "{{ mesh.mtu }}" }
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, put, run, type Step } from '../engine/module.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { fileFact, type FileText } from './file-fact.js';
import { linksScript, linksUnit, type LinksSettings } from './mesh-links-script.js';

const ifname = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'must be an interface name');

const params = z.strictObject({
  ovs_bridge: ifname,
  docker_bridge: ifname,
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an address with its prefix, e.g. 10.240.1.1/16'),
  mtu: z.number().int().min(576).max(65535),
  routes: z.array(z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be a network with its prefix, e.g. 10.240.0.0/16')).default([]),
  underlay: z.strictObject({ interface: ifname, bridge: ifname }).optional(),
  veth: z.strictObject({ bridge_end: ifname, ovs_end: ifname }).default({ bridge_end: 'veth-mesh', ovs_end: 'veth-ovs' }),
  tx_checksum_off: z.boolean().default(true),
  // It goes into the unit's ExecStart=, where systemd splits at spaces and expands `%`.
  script: z
    .string()
    .regex(/^\/[A-Za-z0-9_.\/-]+$/, 'must be an absolute path of letters, digits and . _ - /')
    .default('/usr/local/lib/meshctl/mesh-links.sh'),
  unit: z.string().regex(/^[A-Za-z0-9@_.-]+\.service$/).default('meshctl-mesh-links.service'),
  state: z.enum(['present', 'absent']).default('present'),
});
export type MeshLinksParams = z.output<typeof params>;

export interface MeshLinksFacts {
  /** What differs from the wanted links (present) or what is left of them (absent). */
  findings: string[];
  script: FileText;
  unit: FileText;
  enabled: boolean;
}

export function settingsOf(p: MeshLinksParams): LinksSettings {
  const settings: LinksSettings = {
    ovsBridge: p.ovs_bridge,
    dockerBridge: p.docker_bridge,
    address: p.address,
    routes: p.routes,
    mtu: p.mtu,
    vethBridgeEnd: p.veth.bridge_end,
    vethOvsEnd: p.veth.ovs_end,
    txChecksumOff: p.tx_checksum_off,
  };
  if (p.underlay !== undefined) settings.underlay = p.underlay;
  return settings;
}

const unitPath = (p: MeshLinksParams): string => `/etc/systemd/system/${p.unit}`;
const DESCRIPTION = 'meshctl: container mesh links (docker0, veth to OVS, underlay address)';

export const meshLinks = defineModule<MeshLinksParams, MeshLinksFacts>({
  name: 'mesh_links',
  params,
  facts: (p) => ({
    findings: {
      // The generated script itself, run inline: the fact checks with the very code that applies.
      command: `sh -c ${shellQuote(linksScript(settingsOf(p)))} mesh-links ${p.state === 'present' ? 'check' : 'remains'}`,
      parse: parseFindings,
    },
    script: fileFact(p.script),
    unit: fileFact(unitPath(p)),
    enabled: {
      command: shellJoin(['systemctl', 'is-enabled', p.unit]),
      parse: (r) => r.stdout.trim() === 'enabled',
    },
  }),
  plan(p, facts) {
    const script = linksScript(settingsOf(p));
    const unit = linksUnit(DESCRIPTION, p.script);
    if (p.state === 'absent') return planAbsent(p, facts, script);

    const steps: Step[] = [];
    const reasons: string[] = [];
    if (!sameFile(facts.script, script)) {
      reasons.push(`write ${p.script}`);
      steps.push(put(p.script, script, 0o755));
    }
    if (!sameFile(facts.unit, unit)) {
      reasons.push(`install ${p.unit}`);
      steps.push(put(unitPath(p), unit), run('systemctl daemon-reload'));
    }
    if (!facts.enabled) {
      reasons.push(`enable ${p.unit} at boot`);
      steps.push(run(shellJoin(['systemctl', 'enable', p.unit])));
    }
    if (facts.findings.length > 0) {
      reasons.push(facts.findings.join('; '));
      // Through systemd, so the unit is marked active as it will be after a reboot.
      steps.push(run(`${shellJoin(['systemctl', 'restart', p.unit])} || { ${shellJoin(['journalctl', '-u', p.unit, '-n', '20', '--no-pager'])} >&2; exit 1; }`));
    }
    const routed = p.routes.length === 0 ? '' : `, routes ${p.routes.join(' ')} through it`;
    if (steps.length === 0) return ok(`${p.docker_bridge} ${p.address} is linked to ${p.ovs_bridge}${routed}, restored at boot by ${p.unit}`);
    return change(reasons.join('; '), steps);
  },
});

function planAbsent(p: MeshLinksParams, facts: MeshLinksFacts, script: string) {
  const leftovers = [...facts.findings];
  if (facts.script.exists) leftovers.push(p.script);
  if (facts.unit.exists) leftovers.push(p.unit);
  if (leftovers.length === 0) return ok(`no mesh links left (${p.docker_bridge}, ${p.veth.bridge_end}, ${p.unit})`);
  const steps: Step[] = [];
  if (facts.unit.exists) {
    steps.push(run(`${shellJoin(['systemctl', 'disable', '--now', p.unit])} >/dev/null 2>&1 || true`));
  }
  if (facts.findings.length > 0) steps.push(run(`sh -c ${shellQuote(script)} mesh-links remove`));
  steps.push(run(shellJoin(['rm', '-f', p.script, unitPath(p)])), run('systemctl daemon-reload'));
  return change(`remove ${leftovers.join(', ')}`, steps);
}

function sameFile(file: FileText, content: string): boolean {
  return file.exists && file.text === content;
}

export function parseFindings(result: ExecResult): string[] {
  if (result.code !== 0) throw new FactParseError(result.stderr.trim() || `exit ${result.code}`);
  return result.stdout
    .split('\n')
    .map((line) => /^(?:drift|remains): (.*)$/.exec(line.trim())?.[1])
    .filter((line): line is string => line !== undefined);
}
