// What vxlan_routes does to real Linux hosts (network namespaces, vxlan-lab.ts): its plan, run
// against facts read on the hosts, with its steps executed there (the boot unit aside: these
// hosts have no systemd), makes one host's container reach the other's through a kernel VXLAN
// device (or host-gw routes); a second plan changes nothing; a peer that leaves the inventory
// leaves no entry behind; `absent` leaves the host as it was. Root only: without root these
// tests fail, they do not pass unseen. They look at what answers and at the host's state as
// Linux reports it, never at the script's text.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/engine/module.js';
import { vxlanRoutes, type VxlanRoutesFacts, type VxlanRoutesParams } from '../../../src/modules/vxlan-routes.js';
import { VxlanLab, vxlanLabUnavailable, type LabHost } from './vxlan-lab.js';

let labs: VxlanLab[] = [];
afterEach(() => {
  for (const lab of labs) lab.dispose();
  labs = [];
});

async function newLab(): Promise<VxlanLab> {
  const unavailable = vxlanLabUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  const lab = new VxlanLab();
  labs.push(lab);
  return lab.build();
}
// A host that does not answer is given one short try: the wire's round trips are sub-millisecond.
const SHORT = 1000;

type Mode = 'vxlan' | 'host-gw';
// A third host that is not in the lab: its entries make a peer to remove later.
const node3 = { name: 'node3', underlay_address: '10.211.1.13', subnet: '10.240.3.0/24' };

function paramsFor(lab: VxlanLab, host: LabHost, mode: Mode, extraPeers: (typeof node3)[] = [], state: 'present' | 'absent' = 'present'): VxlanRoutesParams {
  const peers = lab.hosts.filter((h) => h !== host).map((h) => ({ name: h.name, underlay_address: h.underlay, subnet: h.subnet }));
  return vxlanRoutes.params.parse({
    mode,
    underlay: { interface: 'eth1', address: host.underlay },
    subnet: host.subnet,
    pool: '10.240.0.0/16',
    mtu: mode === 'vxlan' ? 1450 : 1500,
    peers: [...peers, ...extraPeers],
    script: path.join(lab.dir, host.name, 'vxlan-routes.sh'),
    env_file: path.join(lab.dir, host.name, 'run/flannel/subnet.env'),
    state,
  });
}

/** Every fact read on the host; the unit's as if installed (present) or never installed (absent). */
function factsOn(lab: VxlanLab, host: LabHost, p: VxlanRoutesParams): VxlanRoutesFacts {
  const queries = vxlanRoutes.facts(p);
  const read = <K extends keyof VxlanRoutesFacts>(k: K): VxlanRoutesFacts[K] => queries[k].parse(lab.run(host.ns, queries[k].command));
  const installed = p.state === 'present';
  return {
    device: read('device'),
    fdb: read('fdb'),
    neighbours: read('neighbours'),
    routes: read('routes'),
    masquerade: read('masquerade'),
    env_file: read('env_file'),
    script: read('script'),
    unit: installed ? { exists: true, text: unitText(p) } : { exists: false },
    enabled: installed,
  };
}

const emptyFacts: VxlanRoutesFacts = {
  device: null,
  fdb: [],
  neighbours: [],
  routes: [],
  masquerade: [],
  env_file: { exists: false },
  script: { exists: false },
  unit: { exists: false },
  enabled: false,
};

/** The unit text the plan would install (taken from its own put step). */
function unitText(p: VxlanRoutesParams): string {
  const plan = vxlanRoutes.plan(p, emptyFacts);
  const put = plan.changed ? plan.steps.find((s) => s.kind === 'put' && s.path.endsWith('.service')) : undefined;
  if (put?.kind !== 'put') throw new Error('the plan installs no unit on a fresh host');
  return put.content;
}

/** Plans on the host's facts and runs the steps there; returns the plan. */
function converge(lab: VxlanLab, host: LabHost, p: VxlanRoutesParams): Plan {
  const plan = vxlanRoutes.plan(p, factsOn(lab, host, p));
  if (!plan.changed) return plan;
  for (const step of plan.steps) {
    if (step.kind === 'put') {
      if (!step.path.startsWith(lab.dir)) throw new Error(`the plan puts ${step.path}, outside the lab`);
      lab.must(host.ns, `mkdir -p '${path.dirname(step.path)}'`);
      writeFileSync(step.path, step.content, { mode: step.mode });
    } else if (step.kind === 'run') {
      if (/\bsystemctl\b/.test(step.script)) throw new Error(`the plan runs systemctl (${step.script}) with the unit installed`);
      lab.must(host.ns, step.script);
    }
  }
  return plan;
}

function convergeBoth(lab: VxlanLab, mode: Mode): void {
  for (const host of lab.hosts) expect(converge(lab, host, paramsFor(lab, host, mode)).changed).toBe(true);
}

/** The parts of a host's state the module owns, as Linux reports them. */
function stateOf(lab: VxlanLab, host: LabHost): Omit<VxlanRoutesFacts, 'unit' | 'enabled'> {
  const { unit: _unit, enabled: _enabled, ...rest } = factsOn(lab, host, paramsFor(lab, host, 'vxlan', [], 'absent'));
  return rest;
}

describe.each(['vxlan', 'host-gw'] as const)('vxlan_routes in %s mode, on two real hosts', { timeout: 60_000 }, (mode) => {
  const mtu = mode === 'vxlan' ? 1450 : 1500;

  it("makes each host's container reach the other's with full-size segments", async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    expect(lab.reaches(a, b, SHORT)).toBe(false);
    convergeBoth(lab, mode);
    expect(lab.reaches(a, b)).toBe(true);
    expect(lab.reaches(b, a)).toBe(true);
  });

  it("keeps the containers' own addresses inside the pool (Docker's masquerading is off, ours only for what leaves it)", async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    convergeBoth(lab, mode);
    expect(lab.seenAs(a, b)).toBe(a.address);
    expect(lab.seenAs(b, a)).toBe(b.address);
  });

  it('changes nothing when planned again', async () => {
    const lab = await newLab();
    convergeBoth(lab, mode);
    const [a] = lab.hosts;
    const once = stateOf(lab, a);
    const again = converge(lab, a, paramsFor(lab, a, mode));
    expect(again, again.reason).toMatchObject({ changed: false });
    expect(stateOf(lab, a)).toEqual(once);
  });

  it('writes subnet.env as flannel does', async () => {
    const lab = await newLab();
    convergeBoth(lab, mode);
    const [a] = lab.hosts;
    const env = lab.must(a.ns, `cat '${paramsFor(lab, a, mode).env_file}'`);
    expect(env.split('\n').filter(Boolean).sort()).toEqual(['FLANNEL_IPMASQ=true', `FLANNEL_MTU=${mtu}`, 'FLANNEL_NETWORK=10.240.0.0/16', 'FLANNEL_SUBNET=10.240.1.1/24']);
  });

  it('removes the entries of a peer that left the inventory, and keeps the others working', async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    convergeBoth(lab, mode);
    const withoutNode3 = stateOf(lab, a);
    converge(lab, a, paramsFor(lab, a, mode, [node3]));
    expect(JSON.stringify(stateOf(lab, a).routes)).toContain('10.240.3.0/24');
    const plan = converge(lab, a, paramsFor(lab, a, mode));
    expect(plan.reason).toContain('remove route to 10.240.3.0/24');
    expect(stateOf(lab, a)).toEqual(withoutNode3);
    expect(lab.reaches(a, b)).toBe(true);
  });

  it('leaves the host as it was when absent, and then finds nothing left', async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    const before = stateOf(lab, a);
    const routesBefore = lab.must(a.ns, 'ip -4 route show');
    convergeBoth(lab, mode);
    const absent = paramsFor(lab, a, mode, [], 'absent');
    expect(converge(lab, a, absent).changed).toBe(true);
    expect(stateOf(lab, a)).toEqual(before);
    expect(lab.must(a.ns, 'ip -4 route show')).toBe(routesBefore);
    expect(existsSync(path.dirname(absent.env_file)), 'the folder made for subnet.env').toBe(false);
    expect(lab.reaches(a, b, SHORT)).toBe(false);
    expect(converge(lab, a, absent)).toMatchObject({ changed: false });
  });

  it('is made again from nothing, as at boot, by the script alone', async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    convergeBoth(lab, mode);
    const once = stateOf(lab, a);
    // A reboot: the kernel forgets the device, its entries, the routes and the rule; /run is empty.
    const p = paramsFor(lab, a, mode);
    lab.must(a.ns, `ip link del flannel.1 2>/dev/null; ip route flush proto 109; iptables -t nat -F POSTROUTING; rm -f '${p.env_file}'`);
    expect(lab.reaches(a, b, SHORT)).toBe(false);
    lab.must(a.ns, `'${p.script}' apply`);
    expect(stateOf(lab, a)).toEqual(once);
    expect(lab.reaches(a, b)).toBe(true);
  });
});

describe('vxlan_routes moving between modes', { timeout: 60_000 }, () => {
  it('takes the VXLAN device away when a host moves to host-gw, and the containers still reach each other', async () => {
    const lab = await newLab();
    const [a, b] = lab.hosts;
    convergeBoth(lab, 'vxlan');
    convergeBoth(lab, 'host-gw');
    expect(stateOf(lab, a).device).toBeNull();
    expect(lab.reaches(a, b)).toBe(true);
    expect(converge(lab, a, paramsFor(lab, a, 'host-gw'))).toMatchObject({ changed: false });
  });
});
