// What the l2_uplink script without a VLAN does to a real Linux host (two network namespaces,
// l2-lab.ts): apply enslaves eth1 to docker0 and moves its addresses and routes there, and the host
// still reaches what lies behind its routes; a move that fails half way gives eth1 back all it had;
// remove undoes apply; the findings match those recorded in facts/l2_uplink/. Root only: without
// root these tests fail, they do not pass unseen. They look at the host's state and at what
// answers, never at the script's text. (With a VLAN: l2-uplink-vlan-script.test.ts.)
import { describe, expect, it } from 'vitest';
import { apply, applied, DOCKERS_ROUTE, expectUplinked, findings, reachesBoth, reachesNone, recorded, remove, routesOn, untagged, useLabs } from './l2-uplink-harness.js';

const labFor = useLabs();

describe('the l2_uplink script without a VLAN, on a real host', { timeout: 30_000 }, () => {
  it('finds on a fresh host what was recorded there', async () => {
    const lab = await labFor(false);
    expect(findings(lab, untagged)).toEqual(recorded('findings-check-fresh-host'));
    expect(findings(lab, untagged, 'absent')).toEqual([]);
  });

  it('joins eth1 to docker0 and moves its address and routes, and the host still reaches past them', async () => {
    const lab = await labFor(false);
    expect(reachesBoth(lab)).toEqual([true, true]);
    applied(lab, untagged);
    const state = lab.read('eth1', 'docker0');
    expect(state.links.eth1).toMatchObject({ master: 'docker0', up: true });
    expectUplinked(lab, state);
    expect(state.routes).not.toContain(DOCKERS_ROUTE);
    expect(findings(lab, untagged)).toEqual(recorded('findings-check-up'));
    expect(findings(lab, untagged, 'absent')).toEqual(recorded('findings-remains-up'));
  });

  it('changes nothing when applied again', async () => {
    const lab = await labFor(false);
    applied(lab, untagged);
    const once = lab.read('eth1', 'docker0');
    applied(lab, untagged);
    expect(lab.read('eth1', 'docker0')).toEqual(once);
  });

  it('finds what was changed by hand, as recorded, and apply repairs it', async () => {
    const lab = await labFor(false);
    applied(lab, untagged);
    lab.must(lab.host, 'ip link set docker0 mtu 1400; ip link set eth1 nomaster; ip link set docker0 address 02:00:00:00:00:01; ip link set eth1 down');
    expect(findings(lab, untagged)).toEqual(recorded('findings-check-drifted'));
    expect(reachesNone(lab)).toBe(true);
    applied(lab, untagged);
    expect(findings(lab, untagged)).toEqual([]);
    expectUplinked(lab, lab.read('eth1', 'docker0'));
  });

  it('does it all again after a reboot, before Docker makes docker0', async () => {
    const lab = await labFor(false);
    applied(lab, untagged);
    // The kernel forgets docker0; the OS's network configuration gives eth1 its address and routes.
    lab.must(lab.host, 'ip link del docker0 && ip addr add 10.211.1.11/24 dev eth1 && ip route add default via 10.211.1.1 dev eth1 proto static && ip route add 10.99.0.0/16 via 10.211.1.254 dev eth1');
    expect(findings(lab, untagged)).toEqual(recorded('findings-check-after-reboot'));
    applied(lab, untagged);
    expect(findings(lab, untagged)).toEqual([]);
    expectUplinked(lab, lab.read('eth1', 'docker0'));
  });

  it.each(['after-enslave', 'move-routes'])('gives eth1 back all it had when the move fails at %s', async (failPoint) => {
    const lab = await labFor(false);
    const before = lab.read('eth1', 'docker0');
    const result = apply(lab, untagged, { MESHCTL_FAIL_POINT: failPoint });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('eth1');
    const after = lab.read('eth1', 'docker0');
    expect(after.links.eth1).toEqual(before.links.eth1);
    expect(after.links.docker0?.addrs).toEqual(['172.17.0.1/16']);
    expect(after.routes.filter((r) => !r.startsWith('172.17.'))).toEqual(routesOn('eth1'));
    expect(reachesBoth(lab)).toEqual([true, true]);
    // And the next run, without the failure, goes through.
    applied(lab, untagged);
    expect(findings(lab, untagged)).toEqual([]);
  });

  it('gives eth1 its address and routes back and deletes docker0 when removing', async () => {
    const lab = await labFor(false);
    const before = lab.read('eth1');
    applied(lab, untagged);
    expect(remove(lab, untagged)).toMatchObject({ code: 0, stderr: '' });
    const after = lab.read('eth1', 'docker0');
    expect(after.links).toEqual({ eth1: before.links.eth1 });
    expect(after.routes).toEqual(routesOn('eth1'));
    expect(reachesBoth(lab)).toEqual([true, true]);
    // Docker makes its docker0 again when it restarts: not a leftover.
    lab.must(lab.host, 'ip link add name docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && ip link set docker0 up');
    expect(findings(lab, untagged, 'absent')).toEqual(recorded('findings-remains-down'));
  });

  it.each(['after-release', 'move-routes'])('keeps the host uplinked when removing fails at %s', async (failPoint) => {
    const lab = await labFor(false);
    applied(lab, untagged);
    const before = lab.read('eth1', 'docker0');
    const result = remove(lab, untagged, { MESHCTL_FAIL_POINT: failPoint });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('docker0');
    expect(lab.read('eth1', 'docker0')).toEqual(before);
    expect(reachesBoth(lab)).toEqual([true, true]);
  });

  it("leaves Docker's own docker0 and eth1 alone when there is nothing to remove", async () => {
    const lab = await labFor(false);
    const before = lab.read('eth1', 'docker0');
    expect(remove(lab, untagged)).toMatchObject({ code: 0, stderr: '' });
    expect(lab.read('eth1', 'docker0')).toEqual(before);
  });

  it('fails without touching anything when the NIC is not there', async () => {
    const lab = await labFor(false);
    const before = lab.read('eth1', 'docker0');
    const result = apply(lab, { ...untagged, nic: 'eth9' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('eth9 is missing');
    expect(lab.read('eth1', 'docker0')).toEqual(before);
  });
});
