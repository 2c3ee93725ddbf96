// Preflight for `up` (and --check, plan): read every reachable host's facts, one command each,
// then check them all together. Example: `const findings = await preflight(inventory, plan, conns, 10)`.
import { overheadOf } from '../backends/index.js';
import { readFactBatch } from '../engine/fact-batch.js';
import { mapLimit } from '../engine/map-limit.js';
import { detailOf, MeshctlError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { preflightFindings, type Finding, type PreflightHost, type PreflightMesh } from './checks.js';
import { FACT_NAMES, parsePreflightFacts, preflightCommands, type PreflightFacts } from './facts.js';

export async function preflight(inventory: Inventory, plan: MeshPlan, connections: ReadonlyMap<string, Connection>, forks: number): Promise<Finding[]> {
  const hosts = inventory.hosts.filter((host) => connections.has(host.name));
  const read = await mapLimit(hosts, forks, async (host): Promise<PreflightHost> => {
    const conn = connections.get(host.name);
    const slice = plan.hosts.get(host.name)?.slice ?? plan.pool;
    const facts = conn === undefined ? { ok: false as const, why: 'not connected' } : await readPreflightFacts(conn, inventory.mesh.underlay.interface).catch((error: unknown) => {
      // A connection lost or a command timed out: that host's tasks will say the same.
      if (!(error instanceof MeshctlError)) throw error;
      return { ok: false as const, why: detailOf(error) };
    });
    return facts.ok
      ? { name: host.name, address: host.address, slice, facts: facts.facts }
      : { name: host.name, address: host.address, slice, facts: undefined, unread: facts.why };
  });
  return preflightFindings(preflightMesh(inventory, plan), read);
}

export type PreflightRead = { ok: true; facts: PreflightFacts } | { ok: false; why: string };

/** Reads every fact in one round trip; a batch that cannot finish says why. */
export async function readPreflightFacts(conn: Connection, underlayInterface: string): Promise<PreflightRead> {
  const commands = preflightCommands(underlayInterface);
  const batch = await readFactBatch(conn, FACT_NAMES.map((name) => commands[name]));
  if (!batch.ok) {
    const stderr = batch.stderr.trim();
    return { ok: false, why: `reading the host's facts ${batch.why}${stderr === '' ? '' : `: ${stderr}`}` };
  }
  const [machineId, hostname, routes, link, addresses] = batch.results as [ExecResult, ExecResult, ExecResult, ExecResult, ExecResult];
  return { ok: true, facts: parsePreflightFacts({ machineId, hostname, routes, link, addresses }) };
}

export function preflightMesh(inventory: Inventory, plan: MeshPlan): PreflightMesh {
  const { mesh, backend } = inventory;
  return {
    backend: backend.name,
    pool: mesh.pool,
    mtu: plan.mtu,
    overhead: overheadOf(backend, mesh),
    underlay: mesh.underlay,
    dockerBridge: mesh.docker.bridge,
    // The registry sees each backend through the common shape; its own fields are there.
    underlayBridge: backend.underlayBridge?.(mesh as never),
    poolParent: backend.poolParent?.(mesh as never),
    uniqueHostnames: backend.uniqueHostnames === true,
  };
}

/** `--json`'s `preflight` list. */
export function findingsJson(findings: readonly Finding[]): { host: string; check: string; message: string; fix: string; forcible: boolean }[] {
  return findings.map(({ host, check, message, fix, forcible }) => ({ host, check, message, fix, forcible }));
}

/** One block per finding; `forced`: the run goes on past those --force may skip. */
export function formatFindings(findings: readonly Finding[], force: boolean): string {
  return findings
    .map((f) => {
      const label = f.forcible ? (force ? 'warning (--force)' : 'stops the run; --force may skip it') : 'stops the run; --force cannot skip it';
      return `preflight: ${f.host}: ${f.message}\n  fix: ${f.fix}\n  (${label})`;
    })
    .join('\n');
}
