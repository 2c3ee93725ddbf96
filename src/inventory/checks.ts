// Checks that span fields (duplicates, pool sizing, overlaps, MTU), run after the schema passed.
import { overheadOf, type Backend, type UnresolvedMesh } from '../backends/index.js';
import type { FieldProblem } from '../errors.js';
import { KV_DEFAULT_PORTS } from '../kv/endpoints.js';
import { allocateSlices } from '../network/allocate.js';
import { isIPv4, isIPv4Network, prefixOf, rangeContains, sliceCount } from '../network/ipv4.js';
import { MIN_MESH_MTU } from '../network/mtu.js';
import { checkDocker } from './docker.js';
import type { RawInventory } from './schema.js';
import { closest } from './suggest.js';


const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// A name whose last label is a number is an address to the resolver (inet_aton reads `127.1`,
// `2130706433` and `0x7f.0.0.1` as 127.0.0.1), never a DNS name: no top-level domain is numeric.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/i;

export function checkInventory(raw: RawInventory, backend: Backend): FieldProblem[] {
  const mesh = raw.mesh as unknown as UnresolvedMesh;
  const common = checkMesh(raw, mesh, backend);
  // A backend's own checks may rely on the common fields being sound (a valid pool, say).
  const own = common.length === 0 ? (backend.check?.({ mesh: raw.mesh as never, hosts: raw.hosts, kv: raw.kv === undefined ? undefined : { type: raw.kv.type } }) ?? []) : [];
  return [...checkHosts(raw), ...common, ...own, ...checkKv(raw), ...checkPackageSources(raw), ...checkDocker(raw, mesh.pool), ...checkState(raw)];
}

/** A shared store needs where to reach it and a key of the mesh's own; the file needs neither. */
function checkState(raw: RawInventory): FieldProblem[] {
  const { state } = raw;
  if (state === undefined) return [];
  if (state.store === 'file') {
    return (['endpoints', 'prefix'] as const)
      .filter((field) => state[field] !== undefined)
      .map((field) => ({ path: ['state', field], message: `only for store etcd or consul: the file store is always next to the inventory` }));
  }
  const problems: FieldProblem[] = [];
  if (state.endpoints === undefined) problems.push({ path: ['state'], message: `store ${state.store} needs endpoints: its client URLs, such as [${state.store === 'etcd' ? 'http://10.0.0.5:2379' : 'http://10.0.0.5:8500'}]` });
  if (state.prefix === undefined) problems.push({ path: ['state'], message: `store ${state.store} needs a prefix of this mesh's own, such as meshctl/lab: two meshes under one prefix would share their allocations` });
  return problems;
}

/** The group whose hosts run the store; the `kv:` section declares it, `groups:` need not. */
export const KV_GROUP = 'kv';

/** The store's nodes: an odd number (a quorum that survives losing one of 3), ports of its type. */
function checkKv(raw: RawInventory): FieldProblem[] {
  if (raw.kv === undefined) return [];
  const problems: FieldProblem[] = [];
  const nodes = raw.hosts.filter((host) => host.groups?.includes(KV_GROUP) === true).map((host) => host.name);
  if (nodes.length === 0) {
    problems.push({ path: ['kv'], message: `no host is in group ${KV_GROUP}: add ${KV_GROUP} to the groups of 1, 3 or 5 hosts, which run the ${raw.kv.type} store` });
  } else if (nodes.length % 2 === 0) {
    problems.push({
      path: ['kv'],
      message: `group ${KV_GROUP} has ${nodes.length} hosts (${nodes.join(', ')}): a store needs an odd number (1, 3, 5) for a clean quorum; ${nodes.length} survive no more failures than ${nodes.length - 1}`,
    });
  }
  const defaults: Record<string, number> = KV_DEFAULT_PORTS[raw.kv.type];
  const given = Object.entries(raw.kv.ports ?? {}).filter((entry): entry is [string, number] => entry[1] !== undefined);
  for (const [name] of given.filter(([name]) => !(name in defaults))) {
    problems.push({ path: ['kv', 'ports', name], message: `${raw.kv.type} has no ${name} port (its ports: ${Object.keys(defaults).join(', ')})` });
  }
  const effective = { ...defaults, ...Object.fromEntries(given.filter(([name]) => name in defaults)) };
  for (const [name, value] of given.filter(([name]) => name in defaults)) {
    const clash = Object.entries(effective).find(([other, otherValue]) => other !== name && otherValue === value);
    if (clash !== undefined) problems.push({ path: ['kv', 'ports', name], message: `${value} is also the ${clash[0]} port` });
  }
  return problems;
}

function checkPackageSources(raw: RawInventory): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const names = new Map<string, number>();
  (raw.package_sources ?? []).forEach((source, i) => {
    const earlier = names.get(source.name);
    if (earlier === undefined) names.set(source.name, i);
    else problems.push({ path: ['package_sources', i, 'name'], message: `duplicate name '${source.name}' (also package_sources[${earlier}])` });
    if (source.apt === undefined && source.yum === undefined) {
      problems.push({ path: ['package_sources', i], message: 'a source needs apt:, yum: or both' });
    }
    if (source.apt?.key !== undefined && source.apt.key_url !== undefined) {
      problems.push({ path: ['package_sources', i, 'apt', 'key_url'], message: 'give key (a file) or key_url, not both' });
    }
  });
  return problems;
}

/** Why `text` is not an IPv4 address in the one spelling every tool reads alike. */
function ipv4Problem(text: string): string {
  const parts = text.split('.');
  if (parts.length === 4 && parts.every((part) => /^\d+$/.test(part))) {
    const canonical = parts.map((part) => String(Number(part))).join('.');
    if (canonical !== text && isIPv4(canonical)) {
      return `'${text}' has a leading zero, which some resolvers read as octal (010 is 8): write ${canonical}`;
    }
    return `'${text}' is not an IPv4 address: each of its four parts must be 0-255`;
  }
  if (NUMERIC_LAST_LABEL.test(text)) {
    return `'${text}' is not a full IPv4 address: write all four parts, a.b.c.d (resolvers read short and numeric forms differently)`;
  }
  return `'${text}' is not an IPv4 address`;
}

function addressProblem(address: string): string | undefined {
  if (isIPv4(address)) return undefined;
  if (NUMERIC_LAST_LABEL.test(address)) return ipv4Problem(address);
  return DNS_NAME.test(address) ? undefined : `'${address}' is neither an IPv4 address nor a DNS name`;
}

/** Claims on an address: which host and field hold it first. */
interface AddressClaim {
  index: number;
  field: 'address' | 'underlay_address';
  written: string;
}

/**
 * The same machine must not be two hosts: an address (or DNS name, compared case-blind) may be
 * one host's address and underlay address, but no other host's. A name and the address it
 * resolves to cannot be told apart without resolving it, which validation does not do.
 */
function checkHosts(raw: RawInventory): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const knownGroups = [...Object.keys(raw.groups ?? {}), ...(raw.kv !== undefined && raw.groups?.[KV_GROUP] === undefined ? [KV_GROUP] : [])];
  const names = new Map<string, number>();
  const claims = new Map<string, AddressClaim>();
  const clashes = new Set<string>();

  const claim = (index: number, field: AddressClaim['field'], written: string, defaulted: boolean): void => {
    const key = isIPv4(written) ? written : written.toLowerCase();
    const earlier = claims.get(key);
    if (earlier === undefined) {
      claims.set(key, { index, field, written });
      return;
    }
    // A host's address and its default underlay address are one value: one clash, not two.
    if (earlier.index === index || clashes.has(`${index} ${key}`)) return;
    clashes.add(`${index} ${key}`);
    const where = earlier.field === field ? `hosts[${earlier.index}]` : `hosts[${earlier.index}].${earlier.field}`;
    const spelling = earlier.written === written ? '' : ` as '${earlier.written}'`;
    const byDefault =
      earlier.field === 'address' && field === 'underlay_address' && raw.hosts[earlier.index]?.underlay_address === undefined
        ? `, which is hosts[${earlier.index}]'s underlay_address by default`
        : '';
    const reported = defaulted ? 'address' : field;
    problems.push({ path: ['hosts', index, reported], message: `duplicate ${reported} '${written}' (also ${where}${spelling}${byDefault})` });
  };

  raw.hosts.forEach((host, i) => {
    const earlierName = names.get(host.name);
    if (earlierName === undefined) names.set(host.name, i);
    else problems.push({ path: ['hosts', i, 'name'], message: `duplicate name '${host.name}' (also hosts[${earlierName}])` });

    const addressInvalid = addressProblem(host.address);
    if (addressInvalid !== undefined) problems.push({ path: ['hosts', i, 'address'], message: addressInvalid });
    else claim(i, 'address', host.address, false);

    if (host.underlay_address !== undefined) {
      if (!isIPv4(host.underlay_address)) problems.push({ path: ['hosts', i, 'underlay_address'], message: ipv4Problem(host.underlay_address) });
      else claim(i, 'underlay_address', host.underlay_address, false);
    } else if (addressInvalid === undefined && isIPv4(host.address)) {
      claim(i, 'underlay_address', host.address, true);
    } else if (addressInvalid === undefined) {
      problems.push({
        path: ['hosts', i],
        message: 'underlay_address is required when address is a DNS name (tunnels are built to IPv4 addresses)',
      });
    }
    (host.groups ?? []).forEach((group, g) => {
      if (!knownGroups.includes(group)) {
        const typo = closest(group, knownGroups);
        const known = knownGroups.length === 0 ? 'no groups are defined' : `${typo === undefined ? '' : `did you mean ${typo}? `}defined: ${knownGroups.join(', ')}`;
        problems.push({ path: ['hosts', i, 'groups', g], message: `unknown group '${group}' (${known})` });
      }
    });
  });
  return problems;
}

function checkMesh(raw: RawInventory, mesh: UnresolvedMesh, backend: Backend): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const underlayMtu = mesh.underlay.mtu;
  const overhead = overheadOf(backend, mesh);
  const maxMtu = underlayMtu - overhead;
  if (mesh.mtu !== undefined) {
    if (mesh.mtu < MIN_MESH_MTU) {
      problems.push({ path: ['mesh', 'mtu'], message: `${mesh.mtu} is too small: the mesh MTU must be at least ${MIN_MESH_MTU}` });
    } else if (mesh.mtu > maxMtu) {
      problems.push({
        path: ['mesh', 'mtu'],
        message: `${mesh.mtu} is too large: ${mesh.backend} adds ${overhead} bytes, so an underlay MTU of ${underlayMtu} carries at most ${maxMtu}`,
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
      message: `${mesh.pool} holds ${slices} slice${slices === 1n ? '' : 's'} of /${mesh.slice_prefix}, too few for ${raw.hosts.length} hosts`,
    });
  }
  const indexes = allocateSlices(raw.hosts.map((h) => ({ name: h.name, meshIndex: h.mesh_index })), { slices });
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
