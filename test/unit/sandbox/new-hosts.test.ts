// firstHosts and nextHosts: the names, containers and addresses a sandbox's hosts get.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { firstHosts, nextHosts } from '../../../src/sandbox/new-hosts.js';
import type { SandboxHost } from '../../../src/sandbox/state.js';

const sandbox = 'meshctl-lab-3f2a1c';
const subnets = { management: '10.210.7.0/24', underlay: '10.211.7.0/24' };
const networks = { management: { name: 'm', subnet: subnets.management }, underlay: { name: 'u', subnet: subnets.underlay } };
const withHosts = (hosts: SandboxHost[]) => ({ name: sandbox, networks, hosts });
const names = (hosts: readonly SandboxHost[]): string[] => hosts.map((h) => h.name);

describe('firstHosts', () => {
  it('numbers the hosts from 1, each at .10 + N on both networks', () => {
    expect(firstHosts(sandbox, subnets, 2)).toEqual([
      { name: 'node1', container: `${sandbox}-node1`, address: '10.210.7.11', underlayAddress: '10.211.7.11' },
      { name: 'node2', container: `${sandbox}-node2`, address: '10.210.7.12', underlayAddress: '10.211.7.12' },
    ]);
  });
});

describe('nextHosts', () => {
  const three = firstHosts(sandbox, subnets, 3);

  it('goes on after the last host, on the recorded subnets', () => {
    expect(nextHosts(withHosts(three), 2)).toEqual([
      { name: 'node4', container: `${sandbox}-node4`, address: '10.210.7.14', underlayAddress: '10.211.7.14' },
      { name: 'node5', container: `${sandbox}-node5`, address: '10.210.7.15', underlayAddress: '10.211.7.15' },
    ]);
  });

  it('leaves the gap of a host removed from the middle unused', () => {
    const [node1, , node3] = three;
    expect(names(nextHosts(withHosts([node1!, node3!]), 2))).toEqual(['node4', 'node5']);
  });

  it('numbers from the highest address whatever the order of the record', () => {
    expect(names(nextHosts(withHosts([...three].reverse()), 1))).toEqual(['node4']);
  });

  it('starts at node1 in a sandbox whose hosts are all gone', () => {
    expect(names(nextHosts(withHosts([]), 1))).toEqual(['node1']);
  });

  it('fills the /24 up to .210 and refuses a host past it, saying how many still fit', () => {
    const full = firstHosts(sandbox, subnets, 198);
    expect(nextHosts(withHosts(full), 2).map((h) => h.address)).toEqual(['10.210.7.209', '10.210.7.210']);
    expect(() => nextHosts(withHosts(full), 3)).toThrow(UsageError);
    expect(() => nextHosts(withHosts(full), 3)).toThrow(/room for 2 more host\(s\), not 3/);
  });
});
