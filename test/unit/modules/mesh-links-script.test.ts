// The script and unit behind mesh_links: every value reaches sh quoted, the script parses, it
// answers to the modes the module and the unit call it with, and the unit runs before Docker.
// (The exact text, as it lands on a host, is in the fixtures of fixtures/mesh_links/.)
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { linksScript, linksUnit, type LinksSettings } from '../../../src/modules/mesh-links-script.js';
import { meshLinks, settingsOf } from '../../../src/modules/mesh-links.js';
import { shellQuote } from '../../../src/transport/quote.js';

const netdev: LinksSettings = {
  ovsBridge: 'br0',
  dockerBridge: 'docker0',
  address: '10.240.0.1/16',
  mtu: 1462,
  vethBridgeEnd: 'veth-mesh',
  vethOvsEnd: 'veth-ovs',
  underlay: { interface: 'eth1', bridge: 'br-phy' },
  txChecksumOff: true,
};
const { underlay: _, ...system } = netdev;

const VARIABLES = ['OVS_BRIDGE', 'DOCKER_BRIDGE', 'ADDRESS', 'MTU', 'VETH_BR', 'VETH_OVS', 'UL_IF', 'UL_BR', 'TX_OFF'];

/** The script's settings as sh reads them: its lines from `set -u` to the first function, run. */
function variablesSeenBySh(script: string): Record<string, string> {
  const from = script.indexOf('\nset -u\n');
  const to = script.indexOf('\naddrs() ');
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  const printAll = `printf '%s\\0' ${VARIABLES.map((name) => `"$${name}"`).join(' ')}`;
  const result = spawnSync('/bin/sh', ['-c', `${script.slice(from, to)}\n${printAll}`], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  const values = result.stdout.split('\0').slice(0, -1);
  return Object.fromEntries(VARIABLES.map((name, i) => [name, values[i] ?? '(unset)']));
}

describe('linksScript', () => {
  it('sets each value for sh exactly as given', () => {
    expect(variablesSeenBySh(linksScript(netdev))).toEqual({
      OVS_BRIDGE: 'br0',
      DOCKER_BRIDGE: 'docker0',
      ADDRESS: '10.240.0.1/16',
      MTU: '1462',
      VETH_BR: 'veth-mesh',
      VETH_OVS: 'veth-ovs',
      UL_IF: 'eth1',
      UL_BR: 'br-phy',
      TX_OFF: '1',
    });
  });

  it('quotes values a shell would otherwise expand or split', () => {
    // The params schema only lets interface names through; the script must not rely on it.
    const awkward: LinksSettings = {
      ...netdev,
      ovsBridge: "it's",
      dockerBridge: 'docker 0',
      address: '$(touch /tmp/meshctl-pwned)',
      vethBridgeEnd: '`id`',
      vethOvsEnd: 'a;b|c&d',
      underlay: { interface: '$UL_BR', bridge: '"eth1"' },
    };
    expect(variablesSeenBySh(linksScript(awkward))).toMatchObject({
      OVS_BRIDGE: "it's",
      DOCKER_BRIDGE: 'docker 0',
      ADDRESS: '$(touch /tmp/meshctl-pwned)',
      VETH_BR: '`id`',
      VETH_OVS: 'a;b|c&d',
      UL_IF: '$UL_BR',
      UL_BR: '"eth1"',
    });
  });

  it('leaves the underlay empty without one, which skips its steps', () => {
    const script = linksScript(system);
    expect(variablesSeenBySh(script)).toMatchObject({ UL_IF: '', UL_BR: '' });
    expect(script).not.toContain('underlay address moved');
    expect(script).toContain('if [ -n "$UL_IF" ]; then');
  });

  it('turns the TX checksum offload off only when asked', () => {
    expect(variablesSeenBySh(linksScript(netdev)).TX_OFF).toBe('1');
    expect(variablesSeenBySh(linksScript({ ...netdev, txChecksumOff: false })).TX_OFF).toBe('0');
  });

  it.each([
    ['with an underlay', netdev],
    ['without an underlay', system],
  ])('is valid sh %s', (_name, settings) => {
    const result = spawnSync('/bin/sh', ['-n', '-c', linksScript(settings)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('offers the four modes and refuses any other', () => {
    const script = linksScript(netdev);
    for (const mode of ['apply', 'check', 'remains', 'remove']) expect(script).toContain(`\n  ${mode}) ${mode} ;;\n`);
    // Safe to run here: before the `case`, the script only sets variables and defines functions.
    const result = spawnSync('/bin/sh', ['-c', script, 'mesh-links', 'frobnicate'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('usage: mesh-links apply|check|remains|remove\n');
  });

  it('reports in the two line formats the module reads', () => {
    const script = linksScript(netdev);
    expect(script).toContain('drift() { echo "drift: $*"; }');
    expect(script.match(/echo "remains: /g)).toHaveLength(3);
  });
});

describe('the findings fact', () => {
  const params = {
    ovs_bridge: 'br0',
    docker_bridge: 'docker0',
    address: '10.240.0.1/16',
    mtu: 1462,
    underlay: { interface: 'eth1', bridge: 'br-phy' },
  };

  it.each([
    ['present', 'check'],
    ['absent', 'remains'],
  ])('runs the very script the boot unit runs (state %s: %s)', (state, mode) => {
    const p = meshLinks.params.parse({ ...params, state });
    expect(settingsOf(p)).toEqual(netdev);
    expect(meshLinks.facts(p).findings.command).toBe(`sh -c ${shellQuote(linksScript(netdev))} mesh-links ${mode}`);
  });
});

describe('linksUnit', () => {
  /** `Key=value` lines by [Section], as systemd groups them. */
  function sections(unit: string): Record<string, Record<string, string>> {
    const result: Record<string, Record<string, string>> = {};
    let section: Record<string, string> = {};
    for (const line of unit.split('\n')) {
      const header = /^\[(\w+)\]$/.exec(line);
      if (header?.[1] !== undefined) result[header[1]] = section = {};
      const setting = /^(\w+)=(.*)$/.exec(line);
      if (setting?.[1] !== undefined && setting[2] !== undefined) section[setting[1]] = setting[2];
    }
    return result;
  }

  const unit = sections(linksUnit('meshctl: container mesh links', '/usr/local/lib/meshctl/mesh-links.sh'));

  it('runs after Open vSwitch and before Docker, so dockerd finds docker0 as meshctl made it', () => {
    expect(unit.Unit).toEqual({
      Description: 'meshctl: container mesh links',
      Wants: 'openvswitch-switch.service',
      After: 'network.target openvswitch-switch.service ovs-vswitchd.service',
      Before: 'docker.service',
    });
  });

  it('applies the script once and stays active, so `systemctl restart` waits for it', () => {
    expect(unit.Service).toEqual({ Type: 'oneshot', RemainAfterExit: 'yes', ExecStart: '/usr/local/lib/meshctl/mesh-links.sh apply' });
  });

  it('is enabled for a normal boot', () => {
    expect(unit.Install).toEqual({ WantedBy: 'multi-user.target' });
  });
});
