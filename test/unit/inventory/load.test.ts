import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/load.js';
import { refusedWith } from './refused-with.js';

const VALID = `# three hosts, GRE mesh
ssh:
  user: operator
  key: keys/id_ed25519
become: true
groups:
  edge:
    vars:
      zone: a
hosts:
  - name: node1
    address: 10.210.0.11
    underlay_address: 10.211.0.11
    groups: [edge]
  - name: node2
    address: 10.210.0.12
    underlay_address: 10.211.0.12
    ssh:
      port: 2222
  - name: node3
    address: 10.210.0.13
mesh:
  backend: ovs-gre
  pool: 172.17.0.0/16
  slice_prefix: 18
  underlay:
    interface: eth1
`;

const problemsOf = (text: string): string[] => refusedWith(() => parseInventory(text, 'inv.yaml'));

describe('parseInventory', () => {
  it('resolves defaults, merged settings and relative paths', () => {
    const inventory = parseInventory(VALID, '/etc/meshctl/inv.yaml');
    expect(inventory.mesh).toMatchObject({ mtu: 1462, spanning_tree: 'rstp', ovs: { bridge: 'br0', datapath: 'system' }, underlay: { interface: 'eth1', mtu: 1500 } });
    const [node1, node2, node3] = inventory.hosts;
    expect(node1).toMatchObject({ become: true, vars: { zone: 'a' }, underlayAddress: '10.211.0.11' });
    expect(node1?.ssh).toMatchObject({ user: 'operator', port: 22, key: '/etc/meshctl/keys/id_ed25519', connectTimeoutMs: 10_000 });
    expect(node2?.ssh.port).toBe(2222);
    expect(node3?.underlayAddress).toBe('10.210.0.13');
  });

  it('names file line, column and field of an unknown key', () => {
    const text = VALID.replace('    underlay_address: 10.211.0.12\n', '    underlay_adress: 10.211.0.12\n');
    expect(problemsOf(text)).toEqual(['17:5 hosts[1].underlay_adress: unknown key (did you mean underlay_address?)']);
  });

  it('reports a wrong type at the value', () => {
    expect(problemsOf(VALID.replace('port: 2222', 'port: "ssh"'))).toEqual([
      expect.stringMatching(/^19:13 hosts\[1\]\.ssh\.port: .*number/),
    ]);
  });

  it('reports a missing required field at its parent', () => {
    expect(problemsOf(VALID.replace('  slice_prefix: 18\n', ''))).toEqual(['22:1 mesh.slice_prefix: is required']);
  });

  it('refuses duplicate host names and addresses', () => {
    const text = VALID.replace('name: node3\n    address: 10.210.0.13', 'name: node1\n    address: 10.210.0.12');
    expect(problemsOf(text)).toEqual([
      "20:11 hosts[2].name: duplicate name 'node1' (also hosts[0])",
      "21:14 hosts[2].address: duplicate address '10.210.0.12' (also hosts[1])",
    ]);
  });

  it('refuses a pool too small for the hosts', () => {
    expect(problemsOf(VALID.replace('slice_prefix: 18', 'slice_prefix: 17'))).toEqual([
      '24:9 mesh.pool: 172.17.0.0/16 holds 2 slices of /17, too few for 3 hosts',
    ]);
  });

  it('refuses a pool that overlaps the underlay', () => {
    expect(problemsOf(VALID.replace('pool: 172.17.0.0/16', 'pool: 10.211.0.0/16'))).toEqual([
      "24:9 mesh.pool: 10.211.0.0/16 overlaps the underlay: node1's underlay_address 10.211.0.11 is inside it",
      "24:9 mesh.pool: 10.211.0.0/16 overlaps the underlay: node2's underlay_address 10.211.0.12 is inside it",
    ]);
  });

  it('refuses a pool with host bits set', () => {
    expect(problemsOf(VALID.replace('pool: 172.17.0.0/16', 'pool: 172.17.0.1/16'))[0]).toMatch(/mesh\.pool: '172\.17\.0\.1\/16' is not an IPv4 network/);
  });

  it('refuses an MTU too small or too large for the tunnel', () => {
    expect(problemsOf(`${VALID}  mtu: 500\n`)).toEqual(['28:8 mesh.mtu: 500 is too small: the mesh MTU must be at least 576']);
    expect(problemsOf(`${VALID}  mtu: 1480\n`)).toEqual([
      '28:8 mesh.mtu: 1480 is too large: ovs-gre adds 38 bytes, so an underlay MTU of 1500 carries at most 1462',
    ]);
  });

  it('refuses unknown groups and DNS names without an underlay address', () => {
    const text = VALID.replace('groups: [edge]', 'groups: [edgy]').replace('address: 10.210.0.13', 'address: node3.example.internal');
    expect(problemsOf(text)).toEqual([
      "14:14 hosts[0].groups[0]: unknown group 'edgy' (did you mean edge? defined: edge)",
      '20:5 hosts[2]: underlay_address is required when address is a DNS name (tunnels are built to IPv4 addresses)',
    ]);
  });

  it('refuses two hosts given the same mesh index', () => {
    const text = VALID.replace('    groups: [edge]\n', '    groups: [edge]\n    mesh_index: 1\n').replace('    ssh:\n      port: 2222\n', '    ssh:\n      port: 2222\n    mesh_index: 1\n');
    expect(problemsOf(text)).toEqual([expect.stringMatching(/hosts\[1\]\.mesh_index: slice 1 is also taken by hosts\[0\] \(node1\)/)]);
  });

  it('moves a host without a mesh index out of the way of one that has it', () => {
    const text = VALID.replace('    groups: [edge]\n', '    groups: [edge]\n    mesh_index: 1\n');
    expect(problemsOf(text)).toEqual([]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problemsOf('hosts:\n  - name: a\n   bad: [\n')[0]).toMatch(/^3:1 \(syntax\): Sequence item without/);
  });
});

describe('parseInventory: aliases', () => {
  const mesh = 'mesh: {backend: ovs-gre, pool: 10.128.0.0/9, slice_prefix: 24}\n';

  it('refuses an alias bomb quickly, with its position', () => {
    // 2^40 leaves if expanded.
    let bomb = 'vars:\n  l0: &l0 [lol, lol]\n';
    for (let i = 1; i <= 40; i++) bomb += `  l${i}: &l${i} [*l${i - 1}, *l${i - 1}]\n`;
    const started = performance.now();
    expect(problemsOf(`${bomb}hosts:\n  - {name: a, address: 10.0.0.1}\n${mesh}`)).toEqual([
      '3:12 (yaml): aliases here expand to too much data (more than 10000 expansions): write the values out',
    ]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('accepts one alias per host on a large fleet', () => {
    const hosts = Array.from({ length: 1_000 }, (_, i) => `  - {name: n${i}, address: 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}, ssh: *ssh}\n`).join('');
    const inventory = parseInventory(`ssh: &ssh {user: deploy, port: 2222}\nhosts:\n${hosts}${mesh}`, 'fleet.yaml');
    expect(inventory.hosts.map((h) => h.ssh.port)).toEqual(Array.from({ length: 1_000 }, () => 2222));
  });
});
