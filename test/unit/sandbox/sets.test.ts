// applySets: --set KEY=VALUE on inventory text.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MeshctlError, UsageError } from '../../../src/errors.js';
import { applySets, takeDirectives } from '../../../src/sandbox/sets.js';

const inventory = `# generated for a test
ssh:
  user: operator # who logs in
hosts:
  - name: node1
    address: 10.210.1.11 # management
  - name: node2
    address: 10.210.1.12
    vars:
mesh:
  backend: ovs-gre
  underlay:
    mtu: 1500
`;

const setsOf = (...sets: string[]): Record<string, unknown> => parse(applySets(inventory, sets)) as Record<string, unknown>;

describe('applySets', () => {
  it('returns the text unchanged without sets', () => {
    expect(applySets(inventory, [])).toBe(inventory);
  });

  it('creates missing nested keys', () => {
    expect(setsOf('mesh.mtu=1400', 'ssh.port=2222', 'mesh.ovs.datapath=netdev')).toMatchObject({
      ssh: { user: 'operator', port: 2222 },
      mesh: { mtu: 1400, ovs: { datapath: 'netdev' } },
    });
  });

  it('addresses list items by numeric index', () => {
    const out = setsOf('hosts.0.vars.x=y', 'hosts.1.address=10.210.1.99', 'hosts.2.name=node3');
    expect(out.hosts).toEqual([
      { name: 'node1', address: '10.210.1.11', vars: { x: 'y' } },
      { name: 'node2', address: '10.210.1.99', vars: null },
      { name: 'node3' },
    ]);
  });

  it('fills an empty key with a map', () => {
    expect(setsOf('hosts.1.vars.role=edge').hosts).toContainEqual({
      name: 'node2',
      address: '10.210.1.12',
      vars: { role: 'edge' },
    });
  });

  it('parses values as YAML scalars', () => {
    const out = setsOf('vars.n=1400', 'vars.t=true', 'vars.s=a,b', 'vars.q="1400"', 'vars.e=', 'vars.f=1.5', 'vars.l=[a, b]');
    expect(out.vars).toEqual({ n: 1400, t: true, s: 'a,b', q: '1400', e: null, f: 1.5, l: ['a', 'b'] });
  });

  it('keeps text that YAML would read as a map as a plain string', () => {
    expect(setsOf('vars.x=a: b').vars).toEqual({ x: 'a: b' });
  });

  it('splits at the first = only', () => {
    expect(setsOf('vars.eq=a=b').vars).toEqual({ eq: 'a=b' });
  });

  it('keeps comments', () => {
    const out = applySets(inventory, ['ssh.user=root', 'hosts.0.address=10.210.1.21']);
    expect(out).toContain('# generated for a test');
    expect(out).toContain('user: root # who logs in');
    expect(out).toContain('address: 10.210.1.21 # management');
  });

  it.each(['mesh.mtu', '=1400', 'mesh..mtu=1', '.mesh=1', 'mesh.mtu.=1', 'me sh=1', ''])('rejects malformed %j', (set) => {
    expect(() => applySets(inventory, [set])).toThrow(UsageError);
    expect(() => applySets(inventory, [set])).toThrow(`"${set}" is malformed`);
  });

  it('rejects a list index past the end', () => {
    expect(() => applySets(inventory, ['hosts.5.name=x'])).toThrow(/hosts has 2 items: index 5 is past the end/);
  });

  it('rejects a name where a list needs an index', () => {
    expect(() => applySets(inventory, ['hosts.first.name=x'])).toThrow(/hosts is a list: use a numeric index/);
  });

  it('rejects a path through a plain value', () => {
    expect(() => applySets(inventory, ['mesh.backend.x=1'])).toThrow(/mesh.backend holds a plain value/);
  });

  it('rejects a value that is not valid YAML', () => {
    expect(() => applySets(inventory, ['vars.x="open'])).toThrow(/not valid YAML/);
  });

  it('reports input errors with the bad-input exit code', () => {
    try {
      applySets(inventory, ['nonsense']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MeshctlError);
      expect((err as MeshctlError).exitCode).toBe(2);
    }
  });
});

describe('takeDirectives', () => {
  it('takes kv.nodes out and keeps the other sets in their order', () => {
    const { directives, sets } = takeDirectives(['mesh.mtu=1400', 'kv.nodes=3', 'kv.type=etcd', 'hosts.0.name=a'], 3);
    expect(directives).toEqual({ kvNodes: 3 });
    expect(sets).toEqual(['mesh.mtu=1400', 'kv.type=etcd', 'hosts.0.name=a']);
  });

  it('takes nothing when no directive is given', () => {
    expect(takeDirectives(['mesh.mtu=1400'], 3)).toEqual({ directives: {}, sets: ['mesh.mtu=1400'] });
  });

  it('lets the last kv.nodes win, as for any repeated --set', () => {
    expect(takeDirectives(['kv.nodes=3', 'kv.nodes=1'], 3).directives).toEqual({ kvNodes: 1 });
  });

  it.each([['kv.nodes=2', 5], ['kv.nodes=4', 5], ['kv.nodes=0', 5], ['kv.nodes=-1', 5], ['kv.nodes=5', 3], ['kv.nodes=x', 5]] as const)(
    'refuses %s on %i hosts, naming the quorum rule',
    (set, hosts) => {
      expect(() => takeDirectives([set], hosts)).toThrow(/odd number of nodes/);
      expect(() => takeDirectives([set], hosts)).toThrow(UsageError);
    },
  );
});
