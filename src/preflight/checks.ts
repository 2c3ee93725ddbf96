// Pure checks over every host's preflight facts together, before `up` changes anything. Each
// finding names the host, what is wrong, the fix, and whether `--force` may skip it. Example:
//   preflightFindings(mesh, [{ name: 'node1', address: '10.0.0.1', slice: '172.17.0.0/18', facts }])
import { isIPv4, isIPv4Network, prefixOf, rangesOverlap } from '../network/ipv4.js';
import { isMeshctlRoute } from '../network/routes.js';
import type { PreflightFacts, Route } from './facts.js';

export type CheckName = 'facts' | 'machine-id' | 'hostname' | 'route-overlap' | 'underlay-missing' | 'underlay-mtu' | 'management-address';

export interface Finding {
  host: string;
  check: CheckName;
  message: string;
  fix: string;
  /** `--force` may skip it: going on cannot break the host or the mesh beyond what the message says. */
  forcible: boolean;
}

/** What the checks need of the inventory's mesh and backend. */
export interface PreflightMesh {
  backend: string;
  pool: string;
  /** The mesh MTU as planned, and what the backend's encapsulation adds to it. */
  mtu: number;
  overhead: number;
  underlay: { interface: string; mtu: number };
  dockerBridge: string;
  /** Where `up` moves the underlay NIC's address, if it does. */
  underlayBridge: string | undefined;
  /** A network the pool lies inside by design (l2's physical subnet). */
  poolParent: string | undefined;
  /** Docker itself names the hosts by hostname (overlay: swarm nodes, cluster store): a shared one cannot be skipped. */
  uniqueHostnames?: boolean;
}

export interface PreflightHost {
  name: string;
  /** Where SSH arrives. */
  address: string;
  /** The host's slice of the pool. */
  slice: string;
  /** undefined, with `unread`: the facts could not be read. */
  facts: PreflightFacts | undefined;
  unread?: string;
}

export function preflightFindings(mesh: PreflightMesh, hosts: readonly PreflightHost[]): Finding[] {
  const read = hosts.flatMap((host) => (host.facts === undefined ? [] : [{ ...host, facts: host.facts }]));
  const unread = hosts.flatMap((host): Finding[] =>
    host.facts === undefined
      ? [{ host: host.name, check: 'facts', message: `preflight could not read this host: ${host.unread ?? 'no facts'}`, fix: 'make sure the host has a POSIX sh, base64 and iproute2; its tasks will fail the same way', forcible: true }]
      : [],
  );
  const findings = [
    ...unread,
    ...duplicates(read, 'machine-id', (facts) => facts.machineId),
    ...duplicates(read, 'hostname', (facts) => facts.hostname, mesh.uniqueHostnames === true),
    ...read.flatMap((host) => [...routeOverlaps(mesh, host, host.facts.routes), ...underlayFindings(mesh, host, host.facts)]),
  ];
  const order = new Map(hosts.map((host, i) => [host.name, i]));
  return findings.sort((a, b) => (order.get(a.host) ?? 0) - (order.get(b.host) ?? 0));
}

/** Whether the findings leave the run free to go on. */
export function stoppingFindings(findings: readonly Finding[], force: boolean): Finding[] {
  return findings.filter((finding) => !(force && finding.forcible));
}

function duplicates(
  hosts: readonly { name: string; facts: PreflightFacts }[],
  check: 'machine-id' | 'hostname',
  valueOf: (facts: PreflightFacts) => string | undefined,
  required = false,
): Finding[] {
  const byValue = new Map<string, string[]>();
  for (const host of hosts) {
    const value = valueOf(host.facts);
    if (value !== undefined) byValue.set(value, [...(byValue.get(value) ?? []), host.name]);
  }
  return [...byValue].flatMap(([value, names]) => {
    if (names.length < 2) return [];
    return names.map((name): Finding => {
      const others = names.filter((other) => other !== name).join(', ');
      return check === 'machine-id'
        ? {
            host: name,
            check,
            // Two hosts with one machine-id clash in DHCP client ids, journald and systemd's MACs.
            message: `/etc/machine-id ${value} is also ${others}'s: cloned from one image?`,
            fix: 'give the clone its own: rm /etc/machine-id && systemd-machine-id-setup, then reboot',
            forcible: false,
          }
        : {
            host: name,
            check,
            message: `hostname '${value}' is also ${others}'s${required ? ': Docker names the hosts of an overlay by hostname' : ''}`,
            fix: `give each host its own name: hostnamectl set-hostname ${name}`,
            forcible: !required,
          };
    });
  });
}

/** Routes the host has that cover part of the pool, other than those `up` makes itself. */
function routeOverlaps(mesh: PreflightMesh, host: PreflightHost, routes: readonly Route[]): Finding[] {
  return routes.flatMap((route): Finding[] => {
    const { destination, device } = route;
    if (destination === 'default' || !isIPv4Network(destination) || !rangesOverlap(destination, mesh.pool)) return [];
    if (destination === mesh.poolParent) return [];
    const insidePool = prefixOf(destination) >= prefixOf(mesh.pool);
    // docker0 on the pool (ovs-gre), on the host's slice and the pool through it (ovs-vxlan, l2).
    if (device === mesh.dockerBridge && (insidePool || destination === host.slice)) return [];
    // A peer's subnet routed by an earlier `up` (vxlan: via flannel.1, or via the underlay in host-gw).
    if (insidePool && isMeshctlRoute(route.text)) return [];
    const where = device === undefined ? '' : ` on ${device}`;
    if (device === mesh.dockerBridge) {
      return [{
        host: host.name,
        check: 'route-overlap',
        message: `the pool ${mesh.pool} overlaps ${destination}${where} (${route.text}): Docker's own network, from before meshctl?`,
        fix: `if ${destination} is Docker's default network, which up replaces with this host's slice ${host.slice}, run again with --force; otherwise choose a mesh.pool clear of it`,
        forcible: true,
      }];
    }
    return [{
      host: host.name,
      check: 'route-overlap',
      message: `the pool ${mesh.pool} overlaps the route ${destination}${where} (${route.text}): containers and that network would take each other's addresses`,
      fix: `choose a mesh.pool clear of ${destination}, or remove that route (a VPN's, the underlay's?)`,
      forcible: false,
    }];
  });
}

function underlayFindings(mesh: PreflightMesh, host: PreflightHost, facts: PreflightFacts): Finding[] {
  const nic = mesh.underlay.interface;
  const link = facts.underlay;
  if (link === undefined) {
    return [{
      host: host.name,
      check: 'underlay-missing',
      message: `there is no interface ${nic} (mesh.underlay.interface)`,
      fix: 'set mesh.underlay.interface to the NIC the underlay address is on (ip -o -4 addr)',
      forcible: false,
    }];
  }
  const findings: Finding[] = [];
  if (link.mtu < mesh.underlay.mtu) {
    const fits = mesh.mtu + mesh.overhead <= link.mtu;
    const need = mesh.overhead === 0 ? `the mesh MTU ${mesh.mtu}` : `the mesh MTU ${mesh.mtu} + ${mesh.overhead} bytes of ${mesh.backend} encapsulation = ${mesh.mtu + mesh.overhead}`;
    findings.push({
      host: host.name,
      check: 'underlay-mtu',
      message: `${nic}'s MTU is ${link.mtu}, below mesh.underlay.mtu ${mesh.underlay.mtu}${fits ? `; ${need} still fits` : `: ${need} does not fit, so full-size packets would be dropped`}`,
      fix: `set mesh.underlay.mtu to ${link.mtu} (the mesh MTU then defaults to ${link.mtu - mesh.overhead}), or raise ${nic}'s MTU`,
      forcible: fits,
    });
  }
  if (mesh.underlayBridge !== undefined && isIPv4(host.address)) {
    const onNic = link.addresses.some((cidr) => cidr.split('/')[0] === host.address);
    if (onNic) {
      findings.push({
        host: host.name,
        check: 'management-address',
        message: `${host.address}, where SSH arrives, is on ${nic}, whose address ${mesh.backend} moves onto ${mesh.underlayBridge}: the SSH session rides on the NIC being moved`,
        fix: `give SSH an address on another NIC (the host's address), or run with --force: the move is one step under systemd that puts the address back if it fails`,
        forcible: true,
      });
    }
  }
  return findings;
}
