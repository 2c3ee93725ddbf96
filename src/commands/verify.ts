// `meshctl verify ping-matrix`: a probe on every host, three probes for every ordered pair,
// retried until the mesh settles or the timeout passes, then (--throughput) a timed bulk
// transfer per pair; prints the matrix and a verdict, and (--html) writes it as a page.
// Interrupted (Ctrl-C), it starts no further round, removes the probes (unless --keep-probes)
// and exits 130 without a matrix, which would be half measured.
import { constants } from 'node:fs';
import { access, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, MeshctlError, UsageError, TaskError } from '../errors.js';
import { NEVER_INTERRUPTED, unlessAborted, type InterruptSignals } from '../engine/interrupt.js';
import { mapLimit } from '../engine/map-limit.js';
import { describeUnreachable, withSessions } from '../engine/sessions.js';
import { rangeContains } from '../network/ipv4.js';
import { pingPayloadFor } from '../network/mtu.js';
import type { MeshPlan } from '../network/plan.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { renderMatrixHtml } from '../verify/html.js';
import { formatHostRound, formatMatrix, formatThroughputRound, matrixJson, type GatewayResult, type PairResult } from '../verify/matrix.js';
import { gatewayProbeScript, pairProbeScript, parseGatewayProbe, parsePairProbes, type PairProbe } from '../verify/pair-probe.js';
import { buildProbeImage, PROBE_IMAGE } from '../verify/probe-image.js';
import { probeContainer, removeProbe, startProbe, type Probe } from '../verify/probes.js';
import { sampledPeers } from '../verify/sample.js';
import { BULK_BYTES, parseThroughputProbes, throughputProbeScript, TRANSFER_TIMEOUT_S, transferMbps, transferOrder, type Transfer } from '../verify/throughput.js';
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
  /** Also time a bulk transfer per pair (MB/s in every output). */
  throughput?: boolean;
  /** Write the matrix as a self-contained HTML page to this file. */
  html?: string;
  /** `--peers K`: each host probes K of its peers (sample.ts), not all N−1. */
  peers?: number;
}

const RETRY_PAUSE_MS = 2000;
/**
 * Before the first retry only: on a loaded mesh one probe of a hundred loses its packets once
 * (seen on 12 sandbox hosts: one pair's two full-size pings), and waiting the whole pause for
 * it was a fifth of the run. A mesh still settling gets the longer pauses after.
 */
const FIRST_RETRY_PAUSE_MS = 500;
const PROBE_START_TRIES = 3;

export async function verifyPingMatrix(options: VerifyOptions, output: Output, interrupt: InterruptSignals = NEVER_INTERRUPTED): Promise<number> {
  const { inventory, plan, connect, warnings } = await loadContext(options.inventory);
  for (const warning of warnings) output.err(warning);
  if (options.html !== undefined) await checkWritable(options.html);
  const names = inventory.hosts.map((h) => h.name);
  const peersOf = sampledPeers(names, options.peers);
  const sampling = options.peers !== undefined && options.peers < names.length - 1 ? { peers: options.peers, of: names.length - 1 } : undefined;
  const gatewayAddress = inventory.backend.gateway?.(inventory.mesh as never);
  const log = (line: string): void => {
    if (!options.json) output.err(line);
  };

  const { forks } = options;
  const { stop } = interrupt;
  const outcome = await withSessions(inventory.hosts, connect, { forks }, async (connections) => {
    const network = inventory.backend.probeNetwork?.(inventory.mesh as never);
    const probes = await startProbes(connections, { forks, bulk: options.throughput === true, network }, log);
    const measure = async (): Promise<{ pairs: PairResult[]; gateway: GatewayResult | undefined }> => {
      const rangeOf = (slice: string): string => inventory.backend.containerRange?.(inventory.mesh as never, slice) ?? slice;
      const pairs = await probeUntilSettled(names, peersOf, connections, probes, plan, { timeoutMs: options.timeout * 1000, forks, rangeOf, stop }, log);
      if (options.throughput === true && !stop.aborted) await measureThroughput(names, connections, probes, pairs, forks, log);
      const gateway = gatewayAddress === undefined
        ? undefined
        : await probeGateway(names, connections, probes, gatewayAddress, { timeoutMs: options.timeout * 1000, forks, stop }, log);
      return { pairs, gateway };
    };
    try {
      return await unlessAborted(measure(), interrupt.abort, undefined);
    } finally {
      // Aborted (a second Ctrl-C), it leaves at once, probes and all.
      if (!options.keepProbes && !interrupt.abort.aborted) await mapLimit([...connections.values()], forks, (conn) => removeProbe(conn).catch(() => undefined));
    }
  });
  if (!outcome.connected) {
    output.err(describeUnreachable(outcome.unreachable));
    return ExitCode.unreachable;
  }
  if (stop.aborted || outcome.value === undefined) {
    if (options.json) output.out(JSON.stringify({ ok: false, interrupted: true }));
    const left = options.keepProbes ? 'the probe containers were left running (--keep-probes)' : interrupt.abort.aborted ? 'the probe containers may be left running' : 'the probe containers were removed';
    output.err(`verify: interrupted before the matrix was complete; ${left}`);
    return ExitCode.interrupted;
  }
  const { pairs, gateway } = outcome.value;
  if (options.json) output.out(JSON.stringify(matrixJson(pairs, gateway, sampling)));
  else output.out(formatMatrix(names, pairs, plan.mtu, gateway, sampling));
  if (options.html !== undefined) {
    const page = renderMatrixHtml({ hosts: names, pairs, mtu: plan.mtu, backend: inventory.backend.name, measuredAt: new Date(), ...(gateway === undefined ? {} : { gateway }), ...(sampling === undefined ? {} : { sampling }) });
    await writeFileAtomically(options.html, page);
    log(`wrote the matrix page to ${options.html}`);
  }
  return matrixJson(pairs, gateway).ok ? ExitCode.ok : ExitCode.hostFailed;
}

/** Fails before any host is touched when the page could not be written where asked. */
async function checkWritable(file: string): Promise<void> {
  const dir = dirname(resolve(file));
  await access(dir, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--html ${file}: cannot write in ${dir} (${error.code ?? error.message})`);
  });
}

/** Readers (a browser reloading the page) see the old page or the new one, never half of one. */
async function writeFileAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UsageError(`--html ${file}: cannot write the page: ${(error as Error).message}`);
  }
}

type ProbeOrProblem = Probe | { host: string; problem: string };

async function startProbes(
  connections: Map<string, Connection>,
  { forks, bulk, network }: { forks: number; bulk: boolean; network: string | undefined },
  log: (line: string) => void,
): Promise<Map<string, ProbeOrProblem>> {
  const entries = await mapLimit([...connections], forks, async ([name, conn]): Promise<[string, ProbeOrProblem]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const started = await startProbe(conn, { bulk, network });
        if (started !== 'no-image') return [name, started];
        await buildProbeImage(conn);
        log(`${name}: built the probe image`);
        const again = await startProbe(conn, { bulk, network });
        if (again === 'no-image') throw new TaskError(name, 'probe image', `${PROBE_IMAGE} is still missing after it was built`);
        return [name, again];
      } catch (error) {
        if (!(error instanceof MeshctlError)) throw error;
        // On a multi-host network a start can fail for a moment (the store still holds an
        // endpoint an earlier probe left): a few tries before the host counts as failed.
        if (attempt >= PROBE_START_TRIES) return [name, { host: name, problem: error.message }];
        log(`${name}: ${error.message}; trying again`);
        await sleep(RETRY_PAUSE_MS);
      }
    }
  });
  return new Map(entries);
}

/** Why a probe cannot stand for its host on the mesh, if it cannot. */
function probeProblem(probe: ProbeOrProblem | undefined, plan: MeshPlan, rangeOf: (slice: string) => string): string | undefined {
  if (probe === undefined) return 'no probe was started';
  if ('problem' in probe) return probe.problem;
  const hostPlan = plan.hosts.get(probe.host);
  const range = hostPlan === undefined ? undefined : rangeOf(hostPlan.slice);
  if (range !== undefined && !rangeContains(range, probe.address)) {
    return `${probe.host}'s probe got ${probe.address}, outside ${range === hostPlan?.slice ? 'its slice ' : ''}${range}: the mesh is not up there`;
  }
  if (probe.mtu !== plan.mtu) return `${probe.host}'s containers get MTU ${probe.mtu}, not the mesh MTU ${plan.mtu}`;
  return undefined;
}

/** Every ordered pair (or those `peersOf` samples), in inventory order, probed in rounds until all pass or the time is up. */
async function probeUntilSettled(
  names: readonly string[],
  peersOf: ReadonlyMap<string, readonly string[]>,
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  plan: MeshPlan,
  { timeoutMs, forks, rangeOf, stop }: { timeoutMs: number; forks: number; rangeOf: (slice: string) => string; stop: AbortSignal },
  log: (line: string) => void,
): Promise<PairResult[]> {
  const problems = new Map(names.map((name) => [name, probeProblem(probes.get(name), plan, rangeOf)]));
  const pairs: PairResult[] = names.flatMap((from) => {
    const peers = new Set(peersOf.get(from));
    return names
      .filter((to) => peers.has(to))
      .map((to) => {
        const problem = problems.get(from) ?? problems.get(to);
        return { from, to, ok: false, rtt_ms: null, tcp_ok: false, mtu_ok: false, probed: problem === undefined, problem: problem ?? 'not probed yet' };
      });
  });
  const retrying = (round: number, count: number): string => `round ${round}: ${count} pair(s) not yet passing; retrying while the mesh settles`;
  await inRounds({ timeoutMs, stop }, () => pairs.filter((pair) => !pair.ok && pair.probed), retrying, log, (pending, round) =>
    mapLimit(names, forks, async (from) => {
      const conn = connections.get(from);
      const fromHere = pending.filter((pair) => pair.from === from);
      if (fromHere.length === 0 || conn === undefined) return;
      const targets = new Map(fromHere.map((pair) => [(probes.get(pair.to) as Probe).address, pair]));
      const script = pairProbeScript([...targets.keys()], pingPayloadFor(plan.mtu));
      const ran = await conn.exec(['docker', 'exec', probeContainer(conn.host), 'sh', '-c', script]);
      const measured = parsePairProbes(ran.stdout);
      for (const [address, pair] of targets) recordProbe(pair, address, measured.get(address), ran, plan.mtu);
      log(formatHostRound(round, from, fromHere));
    }),
  );
  return pairs;
}

/** Every host's probe pings the gateway, in rounds until all reach it or the time is up. */
async function probeGateway(
  names: readonly string[],
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  address: string,
  { timeoutMs, forks, stop }: { timeoutMs: number; forks: number; stop: AbortSignal },
  log: (line: string) => void,
): Promise<GatewayResult> {
  const hosts: GatewayResult['hosts'] = names.map((host) => {
    const probe = probes.get(host);
    const problem = probe === undefined ? 'no probe was started' : 'problem' in probe ? probe.problem : undefined;
    return { host, ok: false, rtt_ms: null, probed: problem === undefined, problem: problem ?? 'not probed yet' };
  });
  const retrying = (round: number, count: number): string => `gateway round ${round}: ${count} host(s) cannot reach ${address} yet; retrying`;
  await inRounds({ timeoutMs, stop }, () => hosts.filter((h) => !h.ok && h.probed), retrying, log, (pending) =>
    mapLimit(pending, forks, async (entry) => {
      const conn = connections.get(entry.host);
      if (conn === undefined) return;
      const ran = await conn.exec(['docker', 'exec', probeContainer(conn.host), 'sh', '-c', gatewayProbeScript(address)]);
      const measured = parseGatewayProbe(ran.stdout);
      entry.ok = measured?.icmpOk ?? false;
      entry.rtt_ms = measured?.icmpOk ? measured.rttMs : null;
      if (entry.ok) delete entry.problem;
      else entry.problem = measured === undefined ? `no answer from the probe script: ${ran.stderr.trim() || ran.stdout.trim()}` : 'ping lost';
    }),
  );
  return { address, hosts };
}

/**
 * Probes what `pending()` still lists, round after round, until nothing is left, the time is
 * up or `stop` is aborted, pausing between rounds while the mesh settles (spanning tree, ARP
 * through the tunnels). A round that has begun runs to its end.
 */
async function inRounds<T>(
  { timeoutMs, stop }: { timeoutMs: number; stop: AbortSignal },
  pending: () => T[],
  retrying: (round: number, count: number) => string,
  log: (line: string) => void,
  probe: (pending: T[], round: number) => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; ; round++) {
    const left = pending();
    if (left.length === 0 || stop.aborted) return;
    if (round > 1) {
      const pause = round === 2 ? FIRST_RETRY_PAUSE_MS : RETRY_PAUSE_MS;
      if (Date.now() + pause > deadline) return;
      log(retrying(round - 1, left.length));
      await sleep(pause, undefined, { signal: stop }).catch((error: unknown) => {
        if (!stop.aborted) throw error;
      });
      if (stop.aborted) return;
    }
    await probe(left, round);
  }
}

/**
 * Each host fetches the bulk file from every peer it passed the probes with, one peer after
 * another (all hosts at once), once: a stalled transfer fails its pair.
 */
async function measureThroughput(
  names: readonly string[],
  connections: Map<string, Connection>,
  probes: Map<string, ProbeOrProblem>,
  pairs: PairResult[],
  forks: number,
  log: (line: string) => void,
): Promise<void> {
  for (const pair of pairs) pair.throughput_mbps = null;
  await mapLimit(names, forks, async (from) => {
    const conn = connections.get(from);
    const passing = new Map(pairs.filter((pair) => pair.from === from && pair.ok).map((pair) => [pair.to, pair]));
    const ordered = transferOrder(names, from).flatMap((to) => passing.get(to) ?? []);
    if (ordered.length === 0 || conn === undefined) return;
    const targets = new Map(ordered.map((pair) => [(probes.get(pair.to) as Probe).address, pair]));
    const script = throughputProbeScript([...targets.keys()]);
    // Every transfer may use its whole timeout; the margin covers starting the tools.
    const timeoutMs = (targets.size * (TRANSFER_TIMEOUT_S + 1) + 30) * 1000;
    const ran = await conn.exec(['docker', 'exec', probeContainer(conn.host), 'sh', '-c', script], { timeoutMs });
    const measured = parseThroughputProbes(ran.stdout);
    for (const [address, pair] of targets) recordTransfer(pair, address, measured.get(address), ran);
    log(formatThroughputRound(from, ordered));
  });
}

function recordTransfer(pair: PairResult, address: string, transfer: Transfer | undefined, ran: ExecResult): void {
  const mbps = transferMbps(transfer);
  if (mbps !== undefined) {
    pair.throughput_mbps = Math.round(mbps * 100) / 100;
    return;
  }
  pair.ok = false;
  pair.problem = transfer === undefined
    ? `no timing from the throughput probe (${address}): ${ran.stderr.trim() || "no THROUGHPUT line (has the probe's busybox no ts?)"}`
    : `bulk TCP transfer got ${transfer.bytes} of ${BULK_BYTES} bytes in ${transfer.seconds.toFixed(1)} s (limit ${TRANSFER_TIMEOUT_S} s) (${address})`;
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
