// `meshctl verify ping-matrix`: a probe on every host, three probes for every ordered pair,
// retried until the mesh settles or the timeout passes; prints the matrix and a verdict.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, MeshctlError } from '../errors.js';
import { describeUnreachable, withSessions } from '../engine/sessions.js';
import { rangeContains } from '../network/ipv4.js';
import { pingPayloadFor } from '../network/mtu.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connection } from '../transport/connection.js';
import { formatMatrix, matrixJson, type PairResult } from '../verify/matrix.js';
import { pairProbeScript, parsePairProbes } from '../verify/pair-probe.js';
import { ensureProbeImage } from '../verify/probe-image.js';
import { PROBE_CONTAINER, removeProbe, startProbe, type Probe } from '../verify/probes.js';
import type { Output } from '../cli/output.js';
import { loadContext } from './context.js';

export interface VerifyOptions {
  inventory: string;
  json: boolean;
  /** Seconds to keep retrying failed pairs while the mesh settles (spanning tree, ARP). */
  timeout: number;
  keepProbes: boolean;
}

const RETRY_PAUSE_MS = 2000;

export async function verifyPingMatrix(options: VerifyOptions, output: Output): Promise<number> {
  const { inventory, plan, connect } = await loadContext(options.inventory);
  const names = inventory.hosts.map((h) => h.name);
  const log = (line: string): void => {
    if (!options.json) output.err(line);
  };

  const outcome = await withSessions(inventory.hosts, connect, async (connections) => {
    const probes = await startProbes(connections, log);
    try {
      return await probeUntilSettled(connections, probes, plan, options.timeout * 1000, log);
    } finally {
      if (!options.keepProbes) await Promise.allSettled([...connections.values()].map(removeProbe));
    }
  });
  if (!(outcome instanceof Array)) {
    output.err(describeUnreachable(outcome.unreachable));
    return ExitCode.unreachable;
  }
  const ordered = names.flatMap((from) => names.filter((to) => to !== from).flatMap((to) => outcome.filter((p) => p.from === from && p.to === to)));
  if (options.json) output.out(JSON.stringify(matrixJson(ordered)));
  else output.out(formatMatrix(names, ordered, plan.mtu));
  return matrixJson(ordered).ok ? ExitCode.ok : ExitCode.hostFailed;
}

type ProbeOrProblem = Probe | { host: string; problem: string };

async function startProbes(connections: Map<string, Connection>, log: (line: string) => void): Promise<Map<string, ProbeOrProblem>> {
  const entries = await Promise.all(
    [...connections].map(async ([name, conn]): Promise<[string, ProbeOrProblem]> => {
      try {
        if ((await ensureProbeImage(conn)) === 'built') log(`${name}: built the probe image`);
        return [name, await startProbe(conn)];
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        return [name, { host: name, problem: error.message }];
      }
    }),
  );
  return new Map(entries);
}

/** Why a probe cannot stand for its host on the mesh, if it cannot. */
function probeProblem(probe: ProbeOrProblem, plan: MeshPlan): string | undefined {
  if ('problem' in probe) return probe.problem;
  const hostPlan = plan.hosts.get(probe.host);
  if (hostPlan !== undefined && !rangeContains(hostPlan.slice, probe.address)) {
    return `${probe.host}'s probe got ${probe.address}, outside its slice ${hostPlan.slice}: the mesh is not up there`;
  }
  if (probe.mtu !== plan.mtu) return `${probe.host}'s containers get MTU ${probe.mtu}, not the mesh MTU ${plan.mtu}`;
  return undefined;
}

async function probeUntilSettled(
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  plan: MeshPlan,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<PairResult[]> {
  const results = new Map<string, PairResult>();
  const key = (from: string, to: string): string => `${from}\u0000${to}`;
  const names = [...probes.keys()];
  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      const problem = probeProblem(probes.get(from)!, plan) ?? probeProblem(probes.get(to)!, plan);
      results.set(key(from, to), { from, to, ok: false, rtt_ms: null, tcp_ok: false, mtu_ok: false, problem: problem ?? 'not probed yet' });
    }
  }
  const probeable = [...results.values()].filter((p) => probeProblem(probes.get(p.from)!, plan) === undefined && probeProblem(probes.get(p.to)!, plan) === undefined);
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; ; round++) {
    const pending = probeable.filter((p) => !results.get(key(p.from, p.to))?.ok);
    if (pending.length === 0) break;
    await Promise.all(
      names.map(async (from) => {
        const targets = pending.filter((p) => p.from === from).map((p) => probes.get(p.to) as Probe);
        const conn = connections.get(from);
        if (targets.length === 0 || conn === undefined) return;
        const script = pairProbeScript(targets.map((t) => t.address), pingPayloadFor(plan.mtu));
        const ran = await conn.exec(['docker', 'exec', PROBE_CONTAINER, 'sh', '-c', script]);
        const measured = parsePairProbes(ran.stdout);
        for (const target of targets) {
          const m = measured.get(target.address);
          const ok = m !== undefined && m.icmpOk && m.tcpOk && m.fullSizeOk;
          const problem = m === undefined
            ? `no answer from the probe script: ${ran.stderr.trim() || ran.stdout.trim()}`
            : [m.icmpOk ? '' : 'ping lost', m.tcpOk ? '' : 'TCP transfer failed', m.fullSizeOk ? '' : `${plan.mtu}-byte DF ping lost`].filter(Boolean).join(', ');
          const result: PairResult = { from, to: target.host, ok, rtt_ms: m?.icmpOk ? m.rttMs : null, tcp_ok: m?.tcpOk ?? false, mtu_ok: m?.fullSizeOk ?? false };
          if (!ok) result.problem = `${problem} (${target.address})`;
          results.set(key(from, target.host), result);
        }
      }),
    );
    const failing = probeable.filter((p) => !results.get(key(p.from, p.to))?.ok).length;
    if (failing === 0 || Date.now() + RETRY_PAUSE_MS > deadline) break;
    log(`round ${round}: ${failing} pair(s) not yet passing; retrying while the mesh settles`);
    await sleep(RETRY_PAUSE_MS);
  }
  return [...results.values()];
}
