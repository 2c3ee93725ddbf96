// Each backend's own fields and checks, through the inventory loader as a user meets them.
import { describe, expect, it } from 'vitest';
import { backends } from '../../../src/backends/index.js';
import { InputError } from '../../../src/errors.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/inventory/plan.js';

const hosts = `hosts:
  - name: a
    address: 198.51.100.11
    underlay_address: 192.0.2.11
  - name: b
    address: 198.51.100.12
    underlay_address: 192.0.2.12
`;

function problemsOf(text: string): string[] {
  try {
    parseInventory(text, 'inv.yaml');
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.field}: ${p.message}`);
    throw error;
  }
  return [];
}

const vxlan = (extra: string): string => `${hosts}mesh:
  backend: ovs-vxlan
  pool: 10.240.0.0/16
  slice_prefix: 24
${extra}`;

const l2 = (l2Fields: string, pool = '192.0.2.128/26'): string => `${hosts}mesh:
  backend: l2
  pool: ${pool}
  slice_prefix: 28
  l2:
${l2Fields}`;

describe('ovs-vxlan', () => {
  it('defaults VNI 42, port 4789 and an MTU of underlay − 50', () => {
    const { mesh } = parseInventory(vxlan(''), 'inv.yaml');
    expect(mesh).toMatchObject({ mtu: 1450, vxlan: { vni: 42, port: 4789 } });
  });

  it('refuses a VNI out of range, an MTU the tunnel cannot carry and a bridge other than docker0', () => {
    expect(problemsOf(vxlan('  vxlan: { vni: 16777216 }\n'))).toEqual([expect.stringMatching(/^mesh\.vxlan\.vni: /)]);
    expect(problemsOf(vxlan('  vxlan: { vni: 0 }\n'))).toEqual([expect.stringMatching(/^mesh\.vxlan\.vni: /)]);
    expect(problemsOf(vxlan('  mtu: 1451\n'))).toEqual([expect.stringContaining('mesh.mtu: 1451 is too large: ovs-vxlan adds 50 bytes')]);
    expect(problemsOf(vxlan('  docker: { bridge: br-docker }\n'))).toEqual([expect.stringContaining('mesh.docker.bridge: ovs-vxlan hands each host')]);
  });

  it('refuses a pool too small for one subnet per host', () => {
    expect(problemsOf(vxlan('').replace('pool: 10.240.0.0/16', 'pool: 10.240.0.0/24'))).toEqual([
      'mesh.pool: 10.240.0.0/24 holds 1 slice of /24, too few for 2 hosts',
    ]);
  });
});

describe('l2', () => {
  const ok = '    subnet: 192.0.2.0/24\n    gateway: 192.0.2.1\n';

  it("gives each host its address on the subnet and no tag by default, with the underlay's MTU", () => {
    const inventory = parseInventory(l2(ok), 'inv.yaml');
    expect(inventory.mesh.mtu).toBe(1500);
    const vars = l2Backend().hostVars?.(inventory.mesh as never, { name: 'a', underlay_address: '192.0.2.11' }, planInventory(inventory));
    expect(vars).toEqual({ host_cidr: '192.0.2.11/24', tagged: false, trunk: null });
  });

  it('refuses a pool outside the subnet, or holding the gateway', () => {
    expect(problemsOf(l2(ok, '10.9.0.0/26'))).toEqual(['mesh.pool: 10.9.0.0/26 must lie inside the physical subnet 192.0.2.0/24']);
    expect(problemsOf(l2('    subnet: 192.0.2.0/24\n    gateway: 192.0.2.129\n'))).toEqual([
      'mesh.pool: 192.0.2.128/26 holds the gateway 192.0.2.129: keep the containers\' range free of it',
    ]);
  });

  it('refuses a gateway outside the subnet, hosts off the subnet or on the gateway, and a VLAN out of range', () => {
    expect(problemsOf(l2('    subnet: 192.0.2.0/24\n    gateway: 192.0.3.1\n'))).toEqual(['mesh.l2.gateway: 192.0.3.1 is outside 192.0.2.0/24']);
    expect(problemsOf(l2(ok).replace('underlay_address: 192.0.2.12', 'underlay_address: 192.0.9.12'))).toEqual([
      'hosts[1].underlay_address: 192.0.9.12 is outside the physical subnet 192.0.2.0/24 (mesh.l2.subnet)',
    ]);
    expect(problemsOf(l2('    subnet: 192.0.2.0/24\n    gateway: 192.0.2.11\n'))).toEqual(['hosts[0].underlay_address: 192.0.2.11 is the gateway\'s address']);
    expect(problemsOf(l2(`${ok}    vlan: 4095\n`))).toEqual([expect.stringMatching(/^mesh\.l2\.vlan: /)]);
  });

  it('refuses a pool that holds a host of the subnet', () => {
    expect(problemsOf(l2(ok, '192.0.2.0/26'))).toEqual([expect.stringContaining("overlaps the underlay: a's underlay_address 192.0.2.11 is inside it"), expect.stringContaining("b's underlay_address")]);
  });
});

const flannel = (extra: string, hostList = hosts): string => `${hostList}mesh:
  backend: vxlan
  pool: 10.5.0.0/16
  slice_prefix: 24
${extra}`;

describe('vxlan', () => {
  it("defaults to flannel's VNI 1, port 8472 and flannel.1, with an MTU of underlay − 50", () => {
    const { mesh } = parseInventory(flannel(''), 'inv.yaml');
    expect(mesh).toMatchObject({ mtu: 1450, vxlan: { mode: 'vxlan', vni: 1, port: 8472, device: 'flannel.1' } });
  });

  it("gives host-gw the underlay's MTU: nothing is encapsulated", () => {
    const { mesh } = parseInventory(flannel('  vxlan: { mode: host-gw, underlay_subnet: 192.0.2.0/24 }\n'), 'inv.yaml');
    expect(mesh.mtu).toBe(1500);
    expect(problemsOf(flannel('  mtu: 1451\n'))).toEqual([expect.stringContaining('mesh.mtu: 1451 is too large: vxlan adds 50 bytes')]);
    expect(problemsOf(flannel('  mtu: 1500\n  vxlan: { mode: host-gw, underlay_subnet: 192.0.2.0/24 }\n'))).toEqual([]);
  });

  it('refuses host-gw naming the hosts off the underlay subnet, and host-gw without one', () => {
    const three = `${hosts}  - name: c
    address: 198.51.100.13
    underlay_address: 203.0.113.13
`;
    const problems = problemsOf(flannel('  vxlan: { mode: host-gw, underlay_subnet: 192.0.2.0/24 }\n', three.replace('underlay_address: 192.0.2.12', 'underlay_address: 192.0.9.12')));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^hosts\[1\]\.underlay_address: b's underlay address 192\.0\.9\.12 is outside 192\.0\.2\.0\/24 .*\(outside: b, c\)/);
    expect(problems[1]).toMatch(/^hosts\[2\]\.underlay_address: c's underlay address 203\.0\.113\.13/);
    expect(problemsOf(flannel('  vxlan: { mode: host-gw }\n'))).toEqual([expect.stringMatching(/^mesh\.vxlan\.mode: host-gw routes .*name it as mesh\.vxlan\.underlay_subnet/)]);
    // vxlan mode crosses subnets: the same hosts pass.
    expect(problemsOf(flannel('  vxlan: { underlay_subnet: 192.0.2.0/24 }\n', three))).toEqual([]);
  });

  it("gives each host its peers with the subnet each holds", () => {
    const inventory = parseInventory(flannel(''), 'inv.yaml');
    const plan = planInventory(inventory);
    const backend = backends.find((b) => b.name === 'vxlan');
    const vars = backend?.hostVars?.(inventory.mesh as never, { name: 'a', underlay_address: '192.0.2.11' }, plan);
    expect(vars).toEqual({ vxlan_peers: [{ name: 'b', underlay_address: '192.0.2.12', subnet: plan.hosts.get('b')?.slice }], vtep_mac: '0e:6d:c0:00:02:0b' });
    expect(plan.hosts.get('b')?.slice).toBe('10.5.1.0/24');
  });
});

function l2Backend() {
  const backend = backends.find((b) => b.name === 'l2');
  if (backend === undefined) throw new Error('no l2 backend');
  return backend;
}
