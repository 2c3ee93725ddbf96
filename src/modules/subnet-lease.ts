// subnet_lease: this host's subnet leased in etcd in flannel's layout, so that two hosts can never
// hold the same subnet and flannel's own tools read the leases. params: endpoints, network,
// subnet_prefix, subnet, public_ip, backend: { type, vni, vtep_mac }.
//   - name: This host's subnet leased in etcd
//     module: subnet_lease
//     params: { endpoints: "{{ kv.client_endpoints }}", network: 10.240.0.0/16, subnet_prefix: 24, subnet: 10.240.1.0/24, ... }
//
// Keys (etcd v3): /coreos.com/network/config = {"Network", "SubnetLen", "Backend"} and
// /coreos.com/network/subnets/10.240.1.0-24 = {"PublicIP", "BackendType", "BackendData": {"VNI",
// "VtepMAC"}}. A lease is claimed in one transaction that succeeds only if no key of that subnet
// exists (create_revision = 0): of two hosts claiming one subnet at once, exactly one wins. The
// subnet asked is the address plan's (kept across runs by inventory.state.json), so a lease once
// given is kept; a subnet leased to another host, or this host leasing another, is refused.
// flannel renews leases with a TTL; these have none: meshctl's run is what keeps them.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { change, defineModule, FactParseError, ok, refuse, run } from '../engine/module.js';
import { isIPv4, isIPv4Network } from '../network/ipv4.js';
import type { ExecResult } from '../transport/connection.js';
import { shellJoin, shellQuote } from '../transport/quote.js';

export const FLANNEL_PREFIX = '/coreos.com/network';

const params = z.strictObject({
  /** etcd's client URLs, comma-separated (kv.client_endpoints). */
  endpoints: z.string().regex(/^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, 'must be etcd client URLs: http://a:2379,http://b:2379'),
  network: z.string().refine(isIPv4Network, 'must be an IPv4 network'),
  subnet_prefix: z.number().int().min(1).max(30),
  subnet: z.string().refine(isIPv4Network, 'must be an IPv4 network'),
  public_ip: z.string().refine(isIPv4, 'must be an IPv4 address'),
  backend: z.strictObject({
    type: z.enum(['vxlan', 'host-gw']),
    vni: z.number().int().min(1).max(16_777_215),
    port: z.number().int().min(1).max(65535),
    vtep_mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'must be a MAC address'),
  }),
});

export type SubnetLeaseParams = z.output<typeof params>;

/** A lease as etcd holds it: its subnet (key) and value. */
export interface Lease {
  subnet: string;
  value: Record<string, unknown>;
}

export interface SubnetLeaseFacts {
  config: Record<string, unknown> | null;
  leases: Lease[];
}

/** 10.240.1.0/24 → /coreos.com/network/subnets/10.240.1.0-24 */
export const leaseKey = (subnet: string): string => `${FLANNEL_PREFIX}/subnets/${subnet.replace('/', '-')}`;

const etcdctl = (endpoints: string): string => `ETCDCTL_API=3 ${shellJoin(['etcdctl', `--endpoints=${endpoints}`, '--command-timeout=10s', '--dial-timeout=5s'])}`;

export function networkConfig(p: SubnetLeaseParams): Record<string, unknown> {
  const backend = p.backend.type === 'vxlan' ? { Type: 'vxlan', VNI: p.backend.vni, Port: p.backend.port } : { Type: 'host-gw' };
  return { Network: p.network, SubnetLen: p.subnet_prefix, Backend: backend };
}

export function leaseValue(p: SubnetLeaseParams): Record<string, unknown> {
  const data = p.backend.type === 'vxlan' ? { VNI: p.backend.vni, VtepMAC: p.backend.vtep_mac } : null;
  return { PublicIP: p.public_ip, PublicIPv6: null, BackendType: p.backend.type, BackendData: data };
}

/**
 * Claims the lease in one transaction: put only if the key was never created. Prints CLAIMED or
 * exits 1 with who holds it; exported for the test that two claims at once cannot both win.
 */
export function claimScript(endpoints: string, subnet: string, value: string): string {
  const key = leaseKey(subnet);
  const txn = [`create("${key}") = "0"`, '', `put ${key} ${value}`, '', `get ${key}`, ''].join('\n');
  return [
    `out=$(printf '%s\\n' ${shellQuote(txn)} | ${etcdctl(endpoints)} txn --interactive=false) || { echo "$out" >&2; exit 1; }`,
    'case "$out" in',
    '  SUCCESS*) echo CLAIMED ;;',
    `  *) echo "the subnet ${subnet} was leased to another host meanwhile: $(printf '%s\\n' "$out" | tail -n 1)" >&2; exit 1 ;;`,
    'esac',
  ].join('\n');
}

export const subnetLease = defineModule<SubnetLeaseParams, SubnetLeaseFacts>({
  name: 'subnet_lease',
  params,
  facts: (p) => ({
    config: { command: `${etcdctl(p.endpoints)} get ${shellQuote(`${FLANNEL_PREFIX}/config`)} -w json`, parse: parseConfig },
    leases: { command: `${etcdctl(p.endpoints)} get --prefix ${shellQuote(`${FLANNEL_PREFIX}/subnets/`)} -w json`, parse: parseLeases },
  }),
  plan(p, facts) {
    const config = networkConfig(p);
    const value = leaseValue(p);
    const held = facts.leases.find((lease) => lease.subnet === p.subnet);
    const heldByOther = held !== undefined && held.value.PublicIP !== p.public_ip;
    if (heldByOther) {
      refuse(`${p.subnet} is leased in etcd to ${String(held.value.PublicIP)}, not to this host (${p.public_ip}): the address plan and the store disagree; free it (etcdctl del ${leaseKey(p.subnet)}) or give this host another mesh_index`);
    }
    const elsewhere = facts.leases.filter((lease) => lease.subnet !== p.subnet && lease.value.PublicIP === p.public_ip);
    if (elsewhere.length > 0) {
      refuse(`this host (${p.public_ip}) already holds ${elsewhere.map((l) => l.subnet).join(', ')} in etcd, not ${p.subnet}: release it (etcdctl del ${leaseKey(elsewhere[0]?.subnet ?? '')}) or pin this host's mesh_index to it`);
    }
    const steps = [];
    const what: string[] = [];
    if (facts.config === null || !isDeepStrictEqual(facts.config, config)) {
      steps.push(run(`${etcdctl(p.endpoints)} put ${shellQuote(`${FLANNEL_PREFIX}/config`)} ${shellQuote(JSON.stringify(config))} >/dev/null`));
      what.push(`write ${FLANNEL_PREFIX}/config`);
    }
    if (held === undefined) {
      steps.push(run(claimScript(p.endpoints, p.subnet, JSON.stringify(value))));
      what.push(`lease ${p.subnet} to ${p.public_ip}`);
    } else if (!isDeepStrictEqual(held.value, value)) {
      // Ours already (the same PublicIP): the VTEP MAC or the VNI changed.
      steps.push(run(`${etcdctl(p.endpoints)} put ${shellQuote(leaseKey(p.subnet))} ${shellQuote(JSON.stringify(value))} >/dev/null`));
      what.push(`update the lease of ${p.subnet}`);
    }
    if (steps.length === 0) return ok(`${p.subnet} is leased to ${p.public_ip} in etcd`);
    return change(what.join('; '), steps);
  },
});

interface GetJson {
  kvs?: { key: string; value: string }[];
}

function readGet(result: ExecResult): { key: string; value: string }[] {
  if (result.code !== 0) throw new FactParseError(`etcdctl failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  let json: GetJson;
  try {
    json = JSON.parse(result.stdout) as GetJson;
  } catch {
    throw new FactParseError(`etcdctl printed no JSON: ${result.stdout.trim().slice(0, 200)}`);
  }
  const text = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  return (json.kvs ?? []).map((kv) => ({ key: text(kv.key), value: text(kv.value) }));
}

function jsonObject(text: string, key: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new FactParseError(`${key} in etcd holds no JSON object: ${text.slice(0, 200)}`);
}

export function parseConfig(result: ExecResult): Record<string, unknown> | null {
  const [entry] = readGet(result);
  return entry === undefined ? null : jsonObject(entry.value, entry.key);
}

export function parseLeases(result: ExecResult): Lease[] {
  return readGet(result).map(({ key, value }) => {
    const match = /\/subnets\/(\d+\.\d+\.\d+\.\d+)-(\d+)$/.exec(key);
    if (match === null) throw new FactParseError(`${key} is not a flannel subnet key (…/subnets/10.5.34.0-24)`);
    return { subnet: `${match[1]}/${match[2]}`, value: jsonObject(value, key) };
  });
}
