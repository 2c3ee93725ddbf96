// The verdict of a ping matrix: per ordered pair results, the N×N table and the JSON shape.

export interface PairResult {
  from: string;
  to: string;
  ok: boolean;
  rtt_ms: number | null;
  tcp_ok: boolean;
  mtu_ok: boolean;
  /** Only with --throughput: MB/s (10^6 bytes per second) of the bulk transfer, null when it did not complete or was not tried. */
  throughput_mbps?: number | null;
  /** False when either end has no usable probe, so the pair was never tried (not part of the JSON contract). */
  probed: boolean;
  /** Why the pair failed (in the JSON only on a failing pair). */
  problem?: string;
}

/** Each host's containers reaching an address outside the mesh (the outside router of a flat L2). */
export interface GatewayResult {
  address: string;
  /** `probed` is false when the host has no usable probe (not part of the JSON contract; `problem` is, on a failing host). */
  hosts: { host: string; ok: boolean; rtt_ms: number | null; probed: boolean; problem?: string }[];
}

/** `verify --peers K`: each host probed K of its N−1 peers (sample.ts). */
export interface Sampling {
  peers: number;
  of: number;
}

export interface MatrixJson {
  ok: boolean;
  /** Only when sampled: how many peers each host probed, of how many. */
  sampled?: { peers_per_host: number; of: number };
  /** `problem` only on a failing pair: why it failed. */
  pairs: Omit<PairResult, 'probed'>[];
  gateway?: { address: string; hosts: { host: string; ok: boolean; rtt_ms: number | null; problem?: string }[] };
}

/** The probes a pair failed, the most basic first; a pair whose three probes passed can still fail its transfer. */
export type FailedProbe = 'icmp' | 'tcp' | 'mtu' | 'throughput';

export function failedProbes(pair: PairResult): FailedProbe[] {
  if (pair.ok) return [];
  const failed: FailedProbe[] = [];
  if (pair.rtt_ms === null) failed.push('icmp');
  if (!pair.tcp_ok) failed.push('tcp');
  if (!pair.mtu_ok) failed.push('mtu');
  if (failed.length === 0 && pair.throughput_mbps === null) failed.push('throughput');
  return failed;
}

export function matrixJson(pairs: readonly PairResult[], gateway?: GatewayResult, sampling?: Sampling): MatrixJson {
  const json: MatrixJson = {
    ok: matrixOk(pairs, gateway),
    ...(sampling === undefined ? {} : { sampled: { peers_per_host: sampling.peers, of: sampling.of } }),
    // A failing pair says why, as the text matrix does: a script reading the JSON needs it too.
    pairs: pairs.map(({ from, to, ok, rtt_ms, tcp_ok, mtu_ok, throughput_mbps, problem }) => ({
      from, to, ok, rtt_ms, tcp_ok, mtu_ok,
      ...(throughput_mbps === undefined ? {} : { throughput_mbps }),
      ...(ok || problem === undefined ? {} : { problem }),
    })),
  };
  if (gateway !== undefined) {
    json.gateway = {
      address: gateway.address,
      hosts: gateway.hosts.map(({ host, ok, rtt_ms, problem }) => ({ host, ok, rtt_ms, ...(ok || problem === undefined ? {} : { problem }) })),
    };
  }
  return json;
}

function matrixOk(pairs: readonly PairResult[], gateway?: GatewayResult): boolean {
  return pairs.length > 0 && pairs.every((p) => p.ok) && (gateway?.hosts.every((h) => h.ok) ?? true);
}

/** `0.18ms`-style round-trip time as the matrix prints it. */
export function formatRtt(ms: number): string {
  return `${ms.toFixed(2)}ms`;
}

/** MB/s with about three significant digits: 1234, 812, 45.6, 3.21. */
export function formatThroughput(mbps: number): string {
  return mbps >= 100 ? mbps.toFixed(0) : mbps >= 10 ? mbps.toFixed(1) : mbps.toFixed(2);
}

function cell(pair: PairResult | undefined): string {
  if (pair === undefined) return '·';
  if (pair.ok) return `✓ ${pair.rtt_ms === null ? '' : formatRtt(pair.rtt_ms)}`.trimEnd();
  return `✗ ${failedProbes(pair).join(',')}`;
}

function throughputCell(pair: PairResult | undefined): string {
  if (pair?.throughput_mbps === undefined) return '·';
  return pair.throughput_mbps === null ? '✗' : formatThroughput(pair.throughput_mbps);
}

const LISTED_FAILURES = 5;

/** One host's round as it finishes (stderr while the matrix is measured): `node2: 1/2 peers pass; failing: node1 (tcp)`. */
export function formatHostRound(round: number, from: string, probed: readonly PairResult[]): string {
  const failing = probed.filter((p) => !p.ok);
  const head = `${round > 1 ? `round ${round}: ` : ''}${from}: ${probed.length - failing.length}/${probed.length} peers pass`;
  if (failing.length === 0) return head;
  const listed = failing.slice(0, LISTED_FAILURES).map((p) => `${p.to} (${failedProbes(p).join(',')})`);
  return `${head}; failing: ${listed.join(', ')}${failing.length > LISTED_FAILURES ? `, and ${failing.length - LISTED_FAILURES} more` : ''}`;
}

/** One host's bulk transfers as they finish: `node1: bulk transfers to 2 peers, 112–240 MB/s; stalled: node3`. */
export function formatThroughputRound(from: string, measured: readonly PairResult[]): string {
  const rates = measured.flatMap((p) => (typeof p.throughput_mbps === 'number' ? [p.throughput_mbps] : []));
  const stalled = measured.filter((p) => typeof p.throughput_mbps !== 'number').map((p) => p.to);
  const range = rates.length === 0 ? '' : `, ${formatThroughput(Math.min(...rates))}–${formatThroughput(Math.max(...rates))} MB/s`;
  const listed = stalled.slice(0, LISTED_FAILURES).join(', ') + (stalled.length > LISTED_FAILURES ? `, and ${stalled.length - LISTED_FAILURES} more` : '');
  return `${from}: bulk transfers to ${measured.length} peer${measured.length === 1 ? '' : 's'}${range}${stalled.length === 0 ? '' : `; stalled: ${listed}`}`;
}

/** The one-line verdict, the same words in the text and the HTML page. */
export function verdictLine(pairs: readonly PairResult[], mtu: number, gateway?: GatewayResult, sampling?: Sampling): string {
  const failed = pairs.filter((p) => !p.ok).length;
  const lost = gateway?.hosts.filter((h) => !h.ok).length ?? 0;
  const sampled = sampling === undefined ? '' : ` (sampled: ${sampling.peers} of ${sampling.of} peers per host)`;
  if (matrixOk(pairs, gateway)) {
    const reach = gateway === undefined ? '' : `; every host's containers reach the gateway ${gateway.address}`;
    const transfer = pairs.some((p) => p.throughput_mbps !== undefined) ? ' and a timed bulk transfer' : '';
    return `Verdict: OK: ${pairs.length}/${pairs.length} pairs${sampled} pass ICMP, TCP and ${mtu}-byte don't-fragment probes${transfer}${reach}.`;
  }
  return `Verdict: FAILED: ${failed}/${pairs.length} pairs${sampled} broken${gateway === undefined ? '' : `, ${lost} host(s) cannot reach the gateway`}.`;
}

function table(hosts: readonly string[], corner: string, text: (from: string, to: string) => string): string[] {
  const rows = hosts.map((from) => [from, ...hosts.map((to) => (from === to ? '—' : text(from, to)))]);
  const header = [corner, ...hosts];
  const widths = header.map((_, col) => Math.max(...[header, ...rows].map((row) => [...(row[col] ?? '')].length)));
  const line = (row: string[]): string => row.map((t, col) => t + ' '.repeat((widths[col] ?? 0) - [...t].length)).join('  ');
  return [line(header), ...rows.map(line)];
}

export function formatMatrix(hosts: readonly string[], pairs: readonly PairResult[], mtu: number, gateway?: GatewayResult, sampling?: Sampling): string {
  const byPair = new Map(pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
  const pairOf = (from: string, to: string): PairResult | undefined => byPair.get(`${from}\u0000${to}`);
  const out = [...table(hosts, 'from \\ to', (from, to) => cell(pairOf(from, to))), ''];
  if (pairs.some((p) => p.throughput_mbps !== undefined)) {
    out.push(...table(hosts, 'MB/s', (from, to) => throughputCell(pairOf(from, to))), '');
  }
  for (const pair of pairs.filter((p) => !p.ok)) out.push(`✗ ${pair.from} → ${pair.to}: ${pair.problem ?? 'failed'}`);
  if (gateway !== undefined) {
    const cells = gateway.hosts.map((h) => `${h.host} ${h.ok ? `✓ ${h.rtt_ms === null ? '' : formatRtt(h.rtt_ms)}`.trimEnd() : '✗'}`);
    out.push(`gateway ${gateway.address}: ${cells.join(', ')}`);
    for (const h of gateway.hosts.filter((h) => !h.ok)) out.push(`✗ ${h.host} → gateway ${gateway.address}: ${h.problem ?? 'failed'}`);
  }
  out.push(verdictLine(pairs, mtu, gateway, sampling));
  return out.join('\n');
}
