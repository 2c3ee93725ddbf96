// What the l2_uplink script with a VLAN does to a real Linux host (two network namespaces, each
// with its own Open vSwitch, l2-lab.ts): docker0 joins VLAN 100 of br-l2 (eth1's trunk) through a
// veth, and the host reaches the gateways, which answer on that VLAN only; rollback, reboot and
// remove as without a VLAN (l2-uplink-script.test.ts). Root and Open vSwitch only: without them
// these tests fail, they do not pass unseen.
import { describe, expect, it } from 'vitest';
import type { L2Lab } from './l2-lab.js';
import { apply, applied, expectUplinked, findings, reachesBoth, reachesNone, recorded, remove, routesOn, tagged, useLabs } from './l2-uplink-harness.js';

const labFor = useLabs();

describe('the l2_uplink script with VLAN 100 of an OVS bridge, on a real host', { timeout: 30_000 }, () => {
  // The gateways answer on VLAN 100 only; eth1 is a trunk port of br-l2 (an ovs_bridge task's job).
  const links = ['eth1', 'docker0', 'veth-l2', 'veth-l2-ovs'];
  const portsOf = (lab: L2Lab): string[] => lab.must(lab.host, 'ovs-vsctl list-ports br-l2').split('\n').filter(Boolean).sort();

  it('puts docker0 on the VLAN through a veth, and the host reaches past its routes only then', async () => {
    const lab = await labFor(true);
    expect(findings(lab, tagged)).toEqual(recorded('findings-check-vlan-fresh-host'));
    expect(reachesNone(lab), 'untagged traffic reached the VLAN').toBe(true);
    applied(lab, tagged);
    const state = lab.read(...links);
    expectUplinked(lab, state);
    expect(state.links['veth-l2']).toMatchObject({ master: 'docker0', mtu: 1500, up: true });
    expect(state.links['veth-l2-ovs']).toMatchObject({ mtu: 1500, up: true });
    expect(lab.must(lab.host, 'ovs-vsctl get port veth-l2-ovs tag').trim()).toBe('100');
    expect(portsOf(lab)).toEqual(['eth1', 'veth-l2-ovs']);
    expect(findings(lab, tagged)).toEqual(recorded('findings-check-vlan-up'));
    expect(findings(lab, tagged, 'absent')).toEqual(recorded('findings-remains-vlan-up'));
    applied(lab, tagged);
    expect(lab.read(...links)).toEqual(state);
  });

  it('finds another tag and the veth changed by hand, and apply repairs them', async () => {
    const lab = await labFor(true);
    applied(lab, tagged);
    lab.must(lab.host, 'ovs-vsctl set port veth-l2-ovs tag=200; ip link set veth-l2 nomaster; ip link set veth-l2-ovs mtu 1400');
    expect(findings(lab, tagged)).toEqual(expect.arrayContaining(['veth-l2 is not in docker0', 'veth-l2-ovs mtu is 1400, not 1500', 'veth-l2-ovs tag is 200, not 100']));
    expect(reachesNone(lab)).toBe(true);
    applied(lab, tagged);
    expect(findings(lab, tagged)).toEqual([]);
    expect(reachesBoth(lab)).toEqual([true, true]);
  });

  it('does it all again after a reboot, re-adding the port OVS could not open', async () => {
    const lab = await labFor(true);
    applied(lab, tagged);
    lab.must(lab.host, 'ip link del docker0 && ip link del veth-l2 && ip addr add 10.211.1.11/24 dev eth1 && ip route add default via 10.211.1.1 dev eth1 proto static && ip route add 10.99.0.0/16 via 10.211.1.254 dev eth1');
    lab.restartVswitchd();
    expect(lab.must(lab.host, 'ovs-vsctl get interface veth-l2-ovs ofport').trim()).toBe('-1');
    expect(findings(lab, tagged)).toEqual(recorded('findings-check-vlan-after-reboot'));
    applied(lab, tagged);
    expect(findings(lab, tagged)).toEqual([]);
    expectUplinked(lab, lab.read(...links));
  });

  it.each(['after-enslave', 'move-routes'])('gives eth1 back all it had when the move fails at %s', async (failPoint) => {
    const lab = await labFor(true);
    const before = lab.read('eth1');
    const result = apply(lab, tagged, { MESHCTL_FAIL_POINT: failPoint });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('eth1');
    const after = lab.read('eth1', 'docker0');
    expect(after.links.eth1).toEqual(before.links.eth1);
    expect(after.links.docker0?.addrs).toEqual(['172.17.0.1/16']);
    expect(after.routes.filter((r) => !r.startsWith('172.17.'))).toEqual(routesOn('eth1'));
  });

  it('makes eth1 a trunk port itself, in the step that moves its addresses', async () => {
    const lab = await labFor(true);
    lab.must(lab.host, 'ovs-vsctl del-port br-l2 eth1 && ip link del docker0');
    expect(findings(lab, tagged)).toEqual(recorded('findings-check-vlan-nic-not-in-ovs'));
    expect(apply(lab, tagged)).toMatchObject({ code: 0 });
    expect(portsOf(lab)).toContain('eth1');
    expect(findings(lab, tagged)).toEqual([]);
  });

  it('removes the veth and its port and gives eth1 its address and routes back', async () => {
    const lab = await labFor(true);
    const before = lab.read('eth1');
    applied(lab, tagged);
    expect(remove(lab, tagged)).toMatchObject({ code: 0, stderr: '' });
    const after = lab.read(...links);
    expect(after.links).toEqual({ eth1: before.links.eth1 });
    expect(after.routes).toEqual(routesOn('eth1'));
    // eth1 leaves OVS too: on the kernel datapath a port of OVS does not talk IP itself.
    expect(portsOf(lab)).toEqual([]);
    expect(findings(lab, tagged, 'absent')).toEqual([]);
  });

  it('removes a port OVS kept in its database after a reboot', async () => {
    const lab = await labFor(true);
    applied(lab, tagged);
    lab.must(lab.host, 'ip link del docker0 && ip link del veth-l2 && ip addr add 10.211.1.11/24 dev eth1 && ip route add default via 10.211.1.1 dev eth1 proto static && ip route add 10.99.0.0/16 via 10.211.1.254 dev eth1');
    expect(findings(lab, tagged, 'absent')).toEqual(recorded('findings-remains-vlan-port-left'));
    expect(remove(lab, tagged)).toMatchObject({ code: 0, stderr: '' });
    expect(portsOf(lab)).toEqual([]);
    expect(findings(lab, tagged, 'absent')).toEqual([]);
  });
});
