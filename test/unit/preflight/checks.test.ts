// preflightFindings over fixture facts: each check finds what it should on the host it should,
// leaves alone what meshctl itself made, and says whether --force may skip it.
import { describe, expect, it } from 'vitest';
import { preflightFindings, stoppingFindings, type PreflightHost, type PreflightMesh } from '../../../src/preflight/checks.js';
import { parseRoutes, type PreflightFacts } from '../../../src/preflight/facts.js';

const gre: PreflightMesh = {
  backend: 'ovs-gre',
  pool: '10.240.0.0/16',
  mtu: 1462,
  overhead: 38,
  underlay: { interface: 'eth1', mtu: 1500 },
  dockerBridge: 'docker0',
  underlayBridge: undefined,
  poolParent: undefined,
};
const l2: PreflightMesh = { ...gre, backend: 'l2', pool: '192.168.10.128/26', mtu: 1500, overhead: 0, underlayBridge: 'docker0', poolParent: '192.168.10.0/24' };

function healthy(n: number, more: Partial<PreflightFacts> = {}): PreflightFacts {
  return {
    machineId: `id-${n}`,
    hostname: `node${n}`,
    routes: parseRoutes(`default via 192.168.10.1 dev eth1\n192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.1${n}\n`),
    underlay: { mtu: 1500, addresses: [`192.168.10.1${n}/24`] },
    ...more,
  };
}
const host = (n: number, facts: PreflightFacts = healthy(n), address = `10.0.0.${n}`): PreflightHost => ({
  name: `node${n}`,
  address,
  slice: `10.240.${n}.0/24`,
  facts,
});
const checksOf = (mesh: PreflightMesh, hosts: PreflightHost[]): [string, string, boolean][] =>
  preflightFindings(mesh, hosts).map((f) => [f.host, f.check, f.forcible]);

describe('preflightFindings', () => {
  it('finds nothing on healthy hosts', () => {
    expect(preflightFindings(gre, [host(1), host(2), host(3)])).toEqual([]);
  });

  it('names every host sharing a machine-id, not skippable, and the others sharing a hostname, skippable', () => {
    const hosts = [host(1), host(2, healthy(2, { machineId: 'id-1' })), host(3, healthy(3, { hostname: 'node1' }))];
    expect(checksOf(gre, hosts)).toEqual([
      ['node1', 'machine-id', false],
      ['node1', 'hostname', true],
      ['node2', 'machine-id', false],
      ['node3', 'hostname', true],
    ]);
    const [first] = preflightFindings(gre, hosts);
    expect(first?.message).toContain("also node2's");
  });

  it('makes a shared hostname unskippable where Docker names the hosts by it (overlay)', () => {
    const hosts = [host(1), host(2, healthy(2, { hostname: 'node1' }))];
    const overlay = { ...gre, backend: 'overlay', uniqueHostnames: true };
    expect(checksOf(overlay, hosts)).toEqual([
      ['node1', 'hostname', false],
      ['node2', 'hostname', false],
    ]);
    expect(preflightFindings(overlay, hosts)[0]?.message).toBe("hostname 'node1' is also node2's: Docker names the hosts of an overlay by hostname");
  });

  it('does not compare machine-ids a host does not have', () => {
    expect(preflightFindings(gre, [host(1, healthy(1, { machineId: undefined })), host(2, healthy(2, { machineId: undefined }))])).toEqual([]);
  });

  it("finds a route into the pool, skippable only on the Docker bridge (Docker's default network)", () => {
    const mesh = { ...gre, pool: '172.17.128.0/17' };
    const routes = parseRoutes('172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown\n172.16.0.0/12 via 10.8.0.1 dev tun0\n');
    const findings = preflightFindings(mesh, [host(1, healthy(1, { routes }))]);
    expect(findings.map((f) => [f.check, f.forcible, f.message.includes(f.check === 'route-overlap' && f.forcible ? 'docker0' : 'tun0')])).toEqual([
      ['route-overlap', true, true],
      ['route-overlap', false, true],
    ]);
    expect(findings[0]?.fix).toContain('--force');
  });

  it('leaves alone the routes up makes: the pool and the slice on the Docker bridge, the default route, the physical subnet of l2', () => {
    const own = parseRoutes('default via 10.240.0.254 dev eth1\n10.240.0.0/16 dev docker0 proto kernel scope link src 10.240.1.1\n10.240.1.0/24 dev docker0 scope link\n');
    expect(preflightFindings(gre, [host(1, healthy(1, { routes: own }))])).toEqual([]);
    const moved = parseRoutes('192.168.10.0/24 dev docker0 proto kernel scope link src 192.168.10.11\n');
    expect(preflightFindings(l2, [host(1, healthy(1, { routes: moved }))])).toEqual([]);
    // vxlan's routes to the peers' subnets (marked proto 109), as `ip -4 route` prints them after an up.
    const peers = parseRoutes('10.240.2.0/24 via 10.240.2.0 dev flannel.1 proto 109 onlink \n10.240.3.0/24 via 10.211.1.13 dev eth1 proto 109 \n');
    expect(preflightFindings(gre, [host(1, healthy(1, { routes: peers }))])).toEqual([]);
    // Not so without the mark, nor for a marked route wider than the pool.
    const foreign = parseRoutes('10.240.2.0/24 via 10.240.2.0 dev flannel.1 onlink\n10.0.0.0/8 via 10.211.1.1 dev eth1 proto 109\n');
    expect(checksOf(gre, [host(1, healthy(1, { routes: foreign }))])).toEqual([['node1', 'route-overlap', false], ['node1', 'route-overlap', false]]);
    // The same pool without l2's physical subnet is an overlap with the underlay.
    expect(checksOf({ ...gre, pool: l2.pool }, [host(1)])).toEqual([['node1', 'route-overlap', false]]);
  });

  it('finds a missing underlay interface', () => {
    expect(checksOf(gre, [host(1, healthy(1, { underlay: undefined }))])).toEqual([['node1', 'underlay-missing', false]]);
  });

  it('finds an underlay MTU below the inventory, skippable only while the mesh MTU plus encapsulation still fits', () => {
    const small = (mtu: number): PreflightHost => host(1, healthy(1, { underlay: { mtu, addresses: [] } }));
    expect(checksOf(gre, [small(1450)])).toEqual([['node1', 'underlay-mtu', false]]);
    expect(preflightFindings(gre, [small(1450)])[0]?.message).toContain('1462 + 38');
    expect(checksOf({ ...gre, mtu: 1400 }, [small(1450)])).toEqual([['node1', 'underlay-mtu', true]]);
    expect(checksOf(gre, [small(9000)])).toEqual([]);
  });

  it('finds the SSH address on a NIC whose address the backend moves, skippable; not when it moves none or SSH arrives elsewhere', () => {
    const onNic = host(1, healthy(1), '192.168.10.11');
    expect(checksOf(l2, [onNic])).toEqual([['node1', 'management-address', true]]);
    expect(preflightFindings(l2, [onNic])[0]?.message).toContain('docker0');
    expect(checksOf(gre, [onNic])).toEqual([]);
    expect(checksOf(l2, [host(1)])).toEqual([]);
    expect(checksOf(l2, [host(1, healthy(1), 'node1.example.net')])).toEqual([]);
  });

  it('reports a host whose facts could not be read', () => {
    expect(checksOf(gre, [host(1), { ...host(2), facts: undefined, unread: 'no base64' }])).toEqual([['node2', 'facts', true]]);
  });
});

describe('stoppingFindings', () => {
  it('keeps every finding without --force, and only those it may not skip with it', () => {
    const findings = preflightFindings(gre, [host(1), host(2, healthy(2, { machineId: 'id-1', hostname: 'node1' }))]);
    expect(stoppingFindings(findings, false)).toHaveLength(4);
    expect(stoppingFindings(findings, true).map((f) => f.check)).toEqual(['machine-id', 'machine-id']);
  });
});
