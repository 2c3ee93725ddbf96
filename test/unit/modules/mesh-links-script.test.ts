// What the mesh_links script does, run with sh on a fake host (fake-links-host.ts): its check finds
// what it found on a real host, apply converges (check finds nothing after it, also after a
// reboot), remove undoes apply, and every value reaches the tools as one word. The tests look at
// the host's state and at the findings, never at the script's text.
import { afterEach, describe, expect, it } from 'vitest';
import { linksScript, linksUnit, type LinksSettings } from '../../../src/modules/mesh-links-script.js';
import { meshLinks, settingsOf } from '../../../src/modules/mesh-links.js';
import { FakeLinksHost, type FakeLink, type HostState } from './fake-links-host.js';
import { recordedFact } from './recorded-facts.js';

/** node1 of the sandbox (netdev datapath) as the `up` playbook leaves it for mesh_links. */
const netdev = {
  ovs_bridge: 'br0',
  docker_bridge: 'docker0',
  address: '10.240.0.1/16',
  mtu: 1462,
  underlay: { interface: 'eth1', bridge: 'br-phy' },
};
const { underlay: _, ...system } = netdev;

const eth1: FakeLink = { mtu: 1500, up: true, addrs: ['10.211.1.11/24'] };
const dockersOwn: FakeLink = { mtu: 1500, up: true, addrs: ['172.17.0.1/16'] };
const freshHost = (): HostState => ({
  links: { eth1, docker0: dockersOwn, br0: { mtu: 1462 }, 'br-phy': { mtu: 1500 } },
  ovs: { br0: [], 'br-phy': ['eth1'] },
});

let hosts: FakeLinksHost[] = [];
afterEach(() => {
  for (const host of hosts) host.dispose();
  hosts = [];
});
function hostWith(state: HostState): FakeLinksHost {
  const host = new FakeLinksHost(state);
  hosts.push(host);
  return host;
}

type Params = Record<string, unknown>;
const scriptFor = (params: Params): string => linksScript(settingsOf(meshLinks.params.parse(params)));

/** The module's findings fact (check for present, remains for absent), run on the host. */
function findings(host: FakeLinksHost, params: Params): string[] {
  const query = meshLinks.facts(meshLinks.params.parse(params)).findings;
  const result = host.runCommand(query.command);
  return query.parse(result);
}

function apply(host: FakeLinksHost, params: Params = netdev): void {
  const result = host.run(scriptFor(params), 'apply');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** What the same fact read on node1 of the sandbox (facts/mesh_links/<file>.yaml). */
const onRealHost = (file: string): unknown => recordedFact(meshLinks, `facts/mesh_links/${file}.yaml`).value;

describe('the mesh_links script on a fake host', () => {
  it('finds on a fresh host what it found on a real one', () => {
    expect(findings(hostWith(freshHost()), netdev)).toEqual(onRealHost('findings-check-fresh-host'));
  });

  it('applies the links, after which check finds nothing and remains names all three', () => {
    const host = hostWith(freshHost());
    apply(host);
    expect(host.read()).toMatchObject({
      links: {
        eth1: { up: true },
        'br-phy': { up: true, addrs: ['10.211.1.11/24'] },
        docker0: { mtu: 1462, up: true, addrs: ['10.240.0.1/16'] },
        'veth-mesh': { mtu: 1462, up: true, master: 'docker0', peer: 'veth-ovs', txChecksumOff: true },
        'veth-ovs': { mtu: 1462, up: true, peer: 'veth-mesh' },
      },
      ovs: { br0: ['veth-ovs'], 'br-phy': ['eth1'] },
    });
    expect(host.read().links.eth1?.addrs).toBeUndefined();
    expect(findings(host, netdev)).toEqual(onRealHost('findings-check-up'));
    expect(findings(host, { ...netdev, state: 'absent' })).toEqual(onRealHost('findings-remains-up'));
  });

  it('changes nothing when applied again', () => {
    const host = hostWith(freshHost());
    apply(host);
    const once = host.read();
    apply(host);
    expect(host.read()).toEqual(once);
  });

  it('finds the drift made by hand on a real host, and apply repairs it', () => {
    const host = hostWith(freshHost());
    apply(host);
    host.edit((links) => {
      links['veth-mesh'] = { ...links['veth-mesh'], mtu: 1500, txChecksumOff: false };
      links['veth-ovs'] = { ...links['veth-ovs'], up: false };
    });
    expect(findings(host, netdev)).toEqual(onRealHost('findings-check-drifted'));
    apply(host);
    expect(findings(host, netdev)).toEqual([]);
  });

  it.each<[string, (host: FakeLinksHost) => void, RegExp]>([
    ['docker0 with another address', (host) => host.edit((l) => void (l.docker0 = { ...l.docker0, addrs: ['10.240.9.1/16'] })), /^docker0 has '10\.240\.9\.1\/16 ', not 10\.240\.0\.1\/16$/],
    ['docker0 down', (host) => host.edit((l) => void (l.docker0 = { ...l.docker0, up: false })), /^docker0 is down$/],
    ['docker0 deleted', (host) => host.runCommand('ip link del docker0'), /^docker0 is missing$/],
    ['the veth out of docker0', (host) => host.runCommand('ip link set veth-mesh nomaster'), /^veth-mesh is not in docker0$/],
    ['the veth out of OVS', (host) => host.runCommand('ovs-vsctl del-port br0 veth-ovs'), /^veth-ovs is not a port of br0$/],
    [
      'the veth made again by hand, which OVS does not open',
      (host) =>
        host.runCommand(
          'ip link del veth-mesh && ip link add veth-mesh mtu 1462 type veth peer name veth-ovs mtu 1462 && ip link set veth-mesh master docker0 && ip link set veth-mesh up && ip link set veth-ovs up && ethtool -K veth-mesh tx off >/dev/null',
        ),
      /^br0 cannot open veth-ovs$/,
    ],
    ['the underlay address back on eth1', (host) => host.edit((l) => void ((l.eth1 = eth1), (l['br-phy'] = { mtu: 1500, up: true }))), /^eth1 holds 10\.211\.1\.11\/24 \(wanted on br-phy\)$/],
    ['the underlay bridge down', (host) => host.edit((l) => void (l['br-phy'] = { ...l['br-phy'], up: false })), /^br-phy is down$/],
  ])('finds %s, and apply repairs it', (_name, drift, finding) => {
    const host = hostWith(freshHost());
    apply(host);
    drift(host);
    const found = findings(host, netdev);
    expect(found.some((line) => finding.test(line)), `findings: ${JSON.stringify(found)}`).toBe(true);
    apply(host);
    expect(findings(host, netdev)).toEqual([]);
  });

  it('brings everything back after a reboot, as the boot unit runs it, with OVS holding stale ports', () => {
    const host = hostWith(freshHost());
    apply(host);
    // The kernel forgets docker0 and the veth; eth1 gets its address back; ovs-vswitchd makes its
    // bridges again; the unit runs before Docker, so there is no docker0 yet.
    host.reboot({ eth1, br0: { mtu: 1462 }, 'br-phy': { mtu: 1500 } });
    expect(host.read().ovs.br0).toEqual(['veth-ovs']);
    expect(findings(host, netdev)).toContain('docker0 is missing');
    apply(host);
    expect(findings(host, netdev)).toEqual([]);
  });

  it('waits for the underlay bridge at boot, and fails when it never comes', () => {
    const host = hostWith({ links: { eth1 }, ovs: {} });
    const result = host.run(scriptFor(netdev), 'apply');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('br-phy');
    expect(host.calls().filter((call) => call.startsWith('sleep ')).length).toBeGreaterThan(10);
    expect(host.read().links).toEqual({ eth1: { ...eth1 } });
  });

  it('removes what apply made and gives the underlay address back', () => {
    const host = hostWith(freshHost());
    apply(host);
    const removed = host.run(scriptFor(netdev), 'remove');
    expect(removed.code).toBe(0);
    const after = host.read();
    expect(Object.keys(after.links).sort()).toEqual(['br-phy', 'br0', 'eth1']);
    expect(after.links.eth1?.addrs).toEqual(['10.211.1.11/24']);
    expect(after.links['br-phy']?.addrs).toBeUndefined();
    expect(after.ovs).toEqual({ br0: [], 'br-phy': ['eth1'] });
    expect(findings(host, { ...netdev, state: 'absent' })).toEqual(onRealHost('findings-remains-down'));
  });

  it("leaves a docker0 with Docker's own address alone when removing", () => {
    const host = hostWith(freshHost());
    expect(host.run(scriptFor(netdev), 'remove').code).toBe(0);
    expect(host.read().links.docker0).toEqual(dockersOwn);
    expect(findings(host, { ...netdev, state: 'absent' })).toEqual([]);
  });

  it('leaves the NICs alone without an underlay (system datapath)', () => {
    const host = hostWith({ links: { eth1, docker0: dockersOwn, br0: { mtu: 1462 } }, ovs: { br0: [] } });
    apply(host, system);
    expect(host.read().links.eth1).toEqual(eth1);
    expect(host.calls().some((call) => call.startsWith('sleep '))).toBe(false);
    expect(findings(host, system)).toEqual([]);
  });

  it('leaves TX checksum offload alone unless asked', () => {
    const host = hostWith(freshHost());
    apply(host, { ...netdev, tx_checksum_off: false });
    expect(host.calls().filter((call) => call.startsWith('ethtool -K'))).toEqual([]);
    expect(host.read().links['veth-mesh']?.txChecksumOff).toBeUndefined();
    expect(findings(host, { ...netdev, tx_checksum_off: false })).toEqual([]);
  });

  it('passes every value to the tools as one word, expanding none', () => {
    // The params schema only lets interface names through; the script must not rely on it.
    const awkward: LinksSettings = {
      ovsBridge: "it's",
      dockerBridge: 'docker 0',
      address: '10.240.0.1/16',
      routes: ['10.250.0.0/16'],
      mtu: 1462,
      vethBridgeEnd: '`touch pwned`',
      vethOvsEnd: 'a;b|c&d',
      underlay: { interface: '$(touch pwned)', bridge: '"$UL_IF"' },
      txChecksumOff: true,
    };
    const host = hostWith({
      links: { '$(touch pwned)': eth1, "it's": { mtu: 1462 }, '"$UL_IF"': { mtu: 1500 } },
      ovs: { "it's": [], '"$UL_IF"': ['$(touch pwned)'] },
    });
    const script = linksScript(awkward);
    const applied = host.run(script, 'apply');
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(host.run(script, 'check')).toMatchObject({ code: 0, stdout: '' });
    expect(host.read()).toMatchObject({
      links: {
        'docker 0': { addrs: ['10.240.0.1/16'] },
        '`touch pwned`': { master: 'docker 0', peer: 'a;b|c&d' },
        '"$UL_IF"': { addrs: ['10.211.1.11/24'] },
      },
      ovs: { "it's": ['a;b|c&d'] },
      routes: ['10.250.0.0/16 dev docker 0'],
    });
    expect(host.read().links).not.toHaveProperty('pwned');
    expect(host.runCommand('[ ! -e pwned ]').code, 'a value was run as a command').toBe(0);
  });

  describe('with routes', () => {
    // eth1 reaches more than its own subnet: its routes must move with its address.
    const routedHost = (): HostState => ({ ...freshHost(), routes: ['default via 10.211.1.1 dev eth1', '10.99.0.0/16 via 10.211.1.254 dev eth1'] });
    // A routed design: docker0 has this host's subnet, the rest of the pool is routed through it.
    const routed = { ...netdev, address: '10.240.1.1/24', routes: ['10.240.0.0/16'] };

    it('moves the underlay routes with its address, and back when removing', () => {
      const host = hostWith(routedHost());
      apply(host);
      expect(host.read().routes).toEqual(['10.99.0.0/16 via 10.211.1.254 dev br-phy', 'default via 10.211.1.1 dev br-phy']);
      expect(findings(host, netdev)).toEqual([]);
      expect(host.run(scriptFor(netdev), 'remove').code).toBe(0);
      expect(host.read().routes).toEqual(['10.99.0.0/16 via 10.211.1.254 dev eth1', 'default via 10.211.1.1 dev eth1']);
      expect(host.read().links.eth1?.addrs).toEqual(['10.211.1.11/24']);
    });

    it('gives the underlay NIC all it had back when the move fails half way', () => {
      const host = hostWith(routedHost());
      host.env.MESHCTL_FAIL_POINT = 'move-routes';
      const result = host.run(scriptFor(netdev), 'apply');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('eth1');
      const after = host.read();
      expect(after.links.eth1).toEqual(eth1);
      expect(after.links['br-phy']?.addrs).toBeUndefined();
      expect(after.routes).toEqual(['10.99.0.0/16 via 10.211.1.254 dev eth1', 'default via 10.211.1.1 dev eth1']);
    });

    it('routes the pool through docker0, finds the route gone and puts it back, and removes it', () => {
      const host = hostWith(freshHost());
      apply(host, routed);
      expect(host.read().routes).toEqual(['10.240.0.0/16 dev docker0']);
      expect(findings(host, routed)).toEqual([]);
      expect(findings(host, { ...routed, state: 'absent' }).some((line) => line.includes('10.240.0.0/16'))).toBe(true);
      host.runCommand('ip route del 10.240.0.0/16 dev docker0');
      expect(findings(host, routed).some((line) => /10\.240\.0\.0\/16/.test(line))).toBe(true);
      apply(host, routed);
      expect(findings(host, routed)).toEqual([]);
      expect(host.run(scriptFor(routed), 'remove').code).toBe(0);
      expect(host.read().routes).toEqual([]);
      expect(findings(host, { ...routed, state: 'absent' })).toEqual([]);
    });
  });

  it('refuses a mode it does not know', () => {
    const result = hostWith(freshHost()).run(scriptFor(netdev), 'frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage');
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
