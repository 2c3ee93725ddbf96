// `meshctl verify ping-matrix`: a probe on every host, three probes for every ordered pair,
// retried until the mesh settles or the timeout passes; prints the matrix and a verdict.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, MeshctlError } from '../errors.js';
import { mapLimit } from '../engine/map-limit.js';
import { describeUnreachable, withSessions } from '../engine/sessions.js';
import { rangeContains } from '../network/ipv4.js';
import { pingPayloadFor } from '../network/mtu.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { formatMatrix, matrixJson, type GatewayResult, type PairResult } from '../verify/matrix.js';
import { gatewayProbeScript, pairProbeScript, parseGatewayProbe, parsePairProbes, type PairProbe } from '../verify/pair-probe.js';
import { ensureProbeImage } from '../verify/probe-image.js';
import { PROBE_CONTAINER, removeProbe, startProbe, type Probe } from '../verify/probes.js';
import type { Output } from '../output.js';
import { loadContext } from './context.js';

export interface VerifyOptions {
  inventory: string;
  json: boolean;
  /** Seconds to keep retrying failed pairs while the mesh settles (spanning tree, ARP). */
  timeout: number;
  keepProbes: boolean;
  /** How many hosts start probes, or probe their peers, at once. */
  forks: number;
}

const RETRY_PAUSE_MS = 2000;

export async function verifyPingMatrix(options: VerifyOptions, output: Output): Promise<number> {
  const { inventory, plan, connect } = await loadContext(options.inventory);
  const names = inventory.hosts.map((h) => h.name);
  const gatewayAddress = inventory.backend.gateway?.(inventory.mesh as never);
  const log = (line: string): void => {
    if (!options.json) output.err(line);
  };

  const { forks } = options;
  const outcome = await withSessions(inventory.hosts, connect, { forks }, async (connections) => {
    const probes = await startProbes(connections, forks, log);
    try {
      const pairs = await probeUntilSettled(names, connections, probes, plan, { timeoutMs: options.timeout * 1000, forks }, log);
      const gateway = gatewayAddress === undefined
        ? undefined
        : await probeGateway(names, connections, probes, gatewayAddress, { timeoutMs: options.timeout * 1000, forks }, log);
      return { pairs, gateway };
    } finally {
      if (!options.keepProbes) await mapLimit([...connections.values()], forks, (conn) => removeProbe(conn).catch(() => undefined));
    }
  });
  if (!outcome.connected) {
    output.err(describeUnreachable(outcome.unreachable));
    return ExitCode.unreachable;
  }
  const { pairs, gateway } = outcome.value;
  if (options.json) output.out(JSON.stringify(matrixJson(pairs, gateway)));
  else output.out(formatMatrix(names, pairs, plan.mtu, gateway));
  return matrixJson(pairs, gateway).ok ? ExitCode.ok : ExitCode.hostFailed;
}

type ProbeOrProblem = Probe | { host: string; problem: string };

async function startProbes(connections: Map<string, Connection>, forks: number, log: (line: string) => void): Promise<Map<string, ProbeOrProblem>> {
  const entries = await mapLimit([...connections], forks, async ([name, conn]): Promise<[string, ProbeOrProblem]> => {
    try {
      if ((await ensureProbeImage(conn)) === 'built') log(`${name}: built the probe image`);
      return [name, await startProbe(conn)];
    } catch (error) {
      if (!(error instanceof MeshctlError)) throw error;
      return [name, { host: name, problem: error.message }];
    }
  });
  return new Map(entries);
}

/** Why a probe cannot stand for its host on the mesh, if it cannot. */
function probeProblem(probe: ProbeOrProblem | undefined, plan: MeshPlan): string | undefined {
  if (probe === undefined) return 'no probe was started';
  if ('problem' in probe) return probe.problem;
  const hostPlan = plan.hosts.get(probe.host);
  if (hostPlan !== undefined && !rangeContains(hostPlan.slice, probe.address)) {
    return `${probe.host}'s probe got ${probe.address}, outside its slice ${hostPlan.slice}: the mesh is not up there`;
  }
  if (probe.mtu !== plan.mtu) return `${probe.host}'s containers get MTU ${probe.mtu}, not the mesh MTU ${plan.mtu}`;
  return undefined;
}

/** Every ordered pair, in inventory order, probed in rounds until all pass or the time is up. */
async function probeUntilSettled(
  names: readonly string[],
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  plan: MeshPlan,
  { timeoutMs, forks }: { timeoutMs: number; forks: number },
  log: (line: string) => void,
): Promise<PairResult[]> {
  const problems = new Map(names.map((name) => [name, probeProblem(probes.get(name), plan)]));
  const pairs: PairResult[] = names.flatMap((from) =>
    names
      .filter((to) => to !== from)
      .map((to) => {
        const problem = problems.get(from) ?? problems.get(to) ?? 'not probed yet';
        return { from, to, ok: false, rtt_ms: null, tcp_ok: false, mtu_ok: false, problem };
      }),
  );
  const probeable = (pair: PairResult): boolean => problems.get(pair.from) === undefined && problems.get(pair.to) === undefined;
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; ; round++) {
    const pending = pairs.filter((pair) => !pair.ok && probeable(pair));
    if (pending.length === 0) break;
    if (round > 1) {
      if (Date.now() + RETRY_PAUSE_MS > deadline) break;
      log(`round ${round - 1}: ${pending.length} pair(s) not yet passing; retrying while the mesh settles`);
      await sleep(RETRY_PAUSE_MS);
    }
    await mapLimit(names, forks, async (from) => {
      const conn = connections.get(from);
      const fromHere = pending.filter((pair) => pair.from === from);
      if (fromHere.length === 0 || conn === undefined) return;
      const targets = new Map(fromHere.map((pair) => [(probes.get(pair.to) as Probe).address, pair]));
      const script = pairProbeScript([...targets.keys()], pingPayloadFor(plan.mtu));
      const ran = await conn.exec(['docker', 'exec', PROBE_CONTAINER, 'sh', '-c', script]);
      const measured = parsePairProbes(ran.stdout);
      for (const [address, pair] of targets) recordProbe(pair, address, measured.get(address), ran, plan.mtu);
    });
  }
  return pairs;
}

/** Every host's probe pings the gateway, in rounds until all reach it or the time is up. */
async function probeGateway(
  names: readonly string[],
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  address: string,
  { timeoutMs, forks }: { timeoutMs: number; forks: number },
  log: (line: string) => void,
): Promise<GatewayResult> {
  const hosts: GatewayResult['hosts'] = names.map((host) => {
    const probe = probes.get(host);
    const problem = probe === undefined ? 'no probe was started' : 'problem' in probe ? probe.problem : 'not probed yet';
    return { host, ok: false, rtt_ms: null, problem };
  });
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; ; round++) {
    const pending = hosts.filter((h) => !h.ok && probes.get(h.host) !== undefined && !('problem' in (probes.get(h.host) as ProbeOrProblem)));
    if (pending.length === 0) break;
    if (round > 1) {
      if (Date.now() + RETRY_PAUSE_MS > deadline) break;
      log(`gateway round ${round - 1}: ${pending.length} host(s) cannot reach ${address} yet; retrying`);
      await sleep(RETRY_PAUSE_MS);
    }
    await mapLimit(pending, forks, async (entry) => {
      const conn = connections.get(entry.host);
      if (conn === undefined) return;
      const ran = await conn.exec(['docker', 'exec', PROBE_CONTAINER, 'sh', '-c', gatewayProbeScript(address)]);
      const measured = parseGatewayProbe(ran.stdout);
      entry.ok = measured?.icmpOk ?? false;
      entry.rtt_ms = measured?.icmpOk ? measured.rttMs : null;
      if (entry.ok) delete entry.problem;
      else entry.problem = measured === undefined ? `no answer from the probe script: ${ran.stderr.trim() || ran.stdout.trim()}` : 'ping lost';
    });
  }
  return { address, hosts };
}

function recordProbe(pair: PairResult, address: string, m: PairProbe | undefined, ran: ExecResult, mtu: number): void {
  pair.ok = m !== undefined && m.icmpOk && m.tcpOk && m.fullSizeOk;
  pair.rtt_ms = m?.icmpOk ? m.rttMs : null;
  pair.tcp_ok = m?.tcpOk ?? false;
  pair.mtu_ok = m?.fullSizeOk ?? false;
  if (pair.ok) {
    delete pair.problem;
    return;
  }
  const problem = m === undefined
    ? `no answer from the probe script: ${ran.stderr.trim() || ran.stdout.trim()}`
    : [m.icmpOk ? '' : 'ping lost', m.tcpOk ? '' : 'TCP transfer failed', m.fullSizeOk ? '' : `${mtu}-byte DF ping lost`].filter(Boolean).join(', ');
  pair.problem = `${problem} (${address})`;
}
