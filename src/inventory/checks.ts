// Checks that span fields (duplicates, pool sizing, overlaps, MTU), run after the schema passed.
import type { Backend, UnresolvedMesh } from '../backends/index.js';
import type { FieldProblem } from '../errors.js';
import { allocateSlices } from '../network/allocate.js';
import { isIPv4, isIPv4Network, prefixOf, rangeContains, sliceCount } from '../network/ipv4.js';
import { MIN_MESH_MTU } from '../network/mtu.js';
import type { RawInventory } from './schema.js';


const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export function checkInventory(raw: RawInventory, backend: Backend): FieldProblem[] {
  const mesh = raw.mesh as unknown as UnresolvedMesh;
  const common = checkMesh(raw, mesh, backend);
  // A backend's own checks may rely on the common fields being sound (a valid pool, say).
  const own = common.length === 0 ? (backend.check?.({ mesh: raw.mesh as never, hosts: raw.hosts }) ?? []) : [];
  return [...checkHosts(raw), ...common, ...own];
}

function checkHosts(raw: RawInventory): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const knownGroups = Object.keys(raw.groups ?? {});
  const firstSeen = { name: new Map<string, number>(), address: new Map<string, number>(), underlay: new Map<string, number>() };
  const noteDuplicate = (kind: keyof typeof firstSeen, value: string, index: number, field: string): void => {
    const earlier = firstSeen[kind].get(value);
    if (earlier === undefined) firstSeen[kind].set(value, index);
    else problems.push({ path: ['hosts', index, field], message: `duplicate ${field} '${value}' (also hosts[${earlier}])` });
  };

  raw.hosts.forEach((host, i) => {
    noteDuplicate('name', host.name, i, 'name');
    if (!isIPv4(host.address) && !DNS_NAME.test(host.address)) {
      problems.push({ path: ['hosts', i, 'address'], message: `'${host.address}' is neither an IPv4 address nor a DNS name` });
    } else {
      noteDuplicate('address', host.address, i, 'address');
    }
    if (host.underlay_address !== undefined) {
      if (!isIPv4(host.underlay_address)) {
        problems.push({ path: ['hosts', i, 'underlay_address'], message: `'${host.underlay_address}' is not an IPv4 address` });
      } else {
        noteDuplicate('underlay', host.underlay_address, i, 'underlay_address');
      }
    } else if (!isIPv4(host.address)) {
      problems.push({
        path: ['hosts', i],
        message: 'underlay_address is required when address is a DNS name (tunnels are built to IPv4 addresses)',
      });
    }
    (host.groups ?? []).forEach((group, g) => {
      if (!knownGroups.includes(group)) {
        const known = knownGroups.length === 0 ? 'no groups are defined' : `defined: ${knownGroups.join(', ')}`;
        problems.push({ path: ['hosts', i, 'groups', g], message: `unknown group '${group}' (${known})` });
      }
    });
  });
  return problems;
}

function checkMesh(raw: RawInventory, mesh: UnresolvedMesh, backend: Backend): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const underlayMtu = mesh.underlay.mtu;
  const maxMtu = underlayMtu - backend.overhead;
  if (mesh.mtu !== undefined) {
    if (mesh.mtu < MIN_MESH_MTU) {
      problems.push({ path: ['mesh', 'mtu'], message: `${mesh.mtu} is too small: the mesh MTU must be at least ${MIN_MESH_MTU}` });
    } else if (mesh.mtu > maxMtu) {
      problems.push({
        path: ['mesh', 'mtu'],
        message: `${mesh.mtu} is too large: ${mesh.backend} adds ${backend.overhead} bytes, so an underlay MTU of ${underlayMtu} carries at most ${maxMtu}`,
      });
    }
  } else if (maxMtu < MIN_MESH_MTU) {
    problems.push({ path: ['mesh', 'underlay', 'mtu'], message: `${underlayMtu} leaves a mesh MTU of ${maxMtu}, below ${MIN_MESH_MTU}` });
  }

  if (!isIPv4Network(mesh.pool)) {
    problems.push({ path: ['mesh', 'pool'], message: `'${mesh.pool}' is not an IPv4 network such as 172.17.0.0/16 (no bits set past the prefix)` });
    return problems;
  }
  const poolPrefix = prefixOf(mesh.pool);
  if (mesh.slice_prefix < poolPrefix) {
    problems.push({ path: ['mesh', 'slice_prefix'], message: `/${mesh.slice_prefix} is larger than the pool ${mesh.pool}` });
    return problems;
  }
  const slices = sliceCount(mesh.pool, mesh.slice_prefix);
  if (slices < BigInt(raw.hosts.length)) {
    problems.push({
      path: ['mesh', 'pool'],
      message: `${mesh.pool} holds ${slices} slices of /${mesh.slice_prefix}, too few for ${raw.hosts.length} hosts`,
    });
  }
  const indexes = allocateSlices(raw.hosts.map((h) => ({ name: h.name, meshIndex: h.mesh_index })));
  const owner = new Map<number, number>();
  raw.hosts.forEach((host, i) => {
    const index = indexes.get(host.name) ?? i;
    if (host.mesh_index !== undefined && BigInt(index) >= slices) {
      problems.push({ path: ['hosts', i, 'mesh_index'], message: `${index} is past the last slice (${slices - 1n}) of ${mesh.pool}` });
    }
    const other = owner.get(index);
    if (other !== undefined && raw.hosts[other]?.name !== host.name) {
      problems.push({ path: ['hosts', i, 'mesh_index'], message: `slice ${index} is also taken by hosts[${other}] (${raw.hosts[other]?.name})` });
    } else {
      owner.set(index, i);
    }
    for (const field of ['address', 'underlay_address'] as const) {
      const address = host[field];
      if (address !== undefined && isIPv4(address) && rangeContains(mesh.pool, address)) {
        problems.push({
          path: ['mesh', 'pool'],
          message: `${mesh.pool} overlaps the underlay: ${host.name}'s ${field} ${address} is inside it`,
        });
      }
    }
  });
  return problems;
}
