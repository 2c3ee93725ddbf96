// Which hosts a sandbox gets: host N is nodeN, container <sandbox>-nodeN, .(10+N) on both networks.
// `sandbox up` makes node1..nodeK; `sandbox add` the ones after the highest ordinal in use.
// Example: nextHosts(state of node1..node3, 2) → node4 (.14), node5 (.15).
import { IPv4, IPv4CidrRange } from 'ip-num';
import { UsageError } from '../errors.js';
import { containerName } from './layout.js';
import type { SandboxHost, SandboxState } from './state.js';
import { hostAddress, maxHosts } from './subnets.js';

/** The sandbox's two /24s, as recorded or as a subnetPair. */
export interface HostSubnets {
  management: string;
  underlay: string;
}

export function sandboxHost(sandbox: string, subnets: HostSubnets, ordinal: number): SandboxHost {
  return {
    name: `node${ordinal}`,
    container: containerName(sandbox, ordinal),
    address: hostAddress(subnets.management, ordinal),
    underlayAddress: hostAddress(subnets.underlay, ordinal),
  };
}

export function firstHosts(sandbox: string, subnets: HostSubnets, count: number): SandboxHost[] {
  return Array.from({ length: count }, (_, i) => sandboxHost(sandbox, subnets, i + 1));
}

/**
 * `count` hosts numbered on from the highest ordinal the sandbox holds, never filling a gap: a
 * host removed from the middle keeps its name unused, so no new machine answers to it (or to its
 * address in known_hosts) while the state file may still hold its slice.
 */
export function nextHosts(state: Pick<SandboxState, 'name' | 'networks' | 'hosts'>, count: number): SandboxHost[] {
  const subnets = { management: state.networks.management.subnet, underlay: state.networks.underlay.subnet };
  const highest = Math.max(0, ...state.hosts.map((host) => ordinalOf(host.address, subnets.management)));
  const room = maxHosts - highest;
  if (count > room) {
    throw new UsageError(
      `sandbox ${state.name} has room for ${room} more host(s), not ${count}: its hosts take .11 to .${10 + maxHosts} of ${subnets.management}`,
    );
  }
  return Array.from({ length: count }, (_, i) => sandboxHost(state.name, subnets, highest + i + 1));
}

/** The inverse of hostAddress: .13 of the subnet → 3. */
function ordinalOf(address: string, subnet: string): number {
  const first = IPv4CidrRange.fromCidr(subnet).getFirst().getValue();
  return Number(IPv4.fromString(address).getValue() - first) - 10;
}
