// Synthetic matrix results for the HTML tests: a small mesh with one failure of each kind and a
// gateway, and a 50-host mesh whose failures draw a row, a column, a cross and one cell.
import type { GatewayResult, PairResult } from '../../../src/verify/matrix.js';

type Outcome = 'pass' | 'icmp' | 'tcp' | 'mtu' | 'throughput' | 'unprobed';

export function pairResult(from: string, to: string, outcome: Outcome, throughput = false): PairResult {
  const rtt = 0.1 + ((from.length * 7 + to.length * 3 + from.charCodeAt(from.length - 1) + to.charCodeAt(to.length - 1)) % 40) / 100;
  const base = { from, to, probed: true, ...(throughput ? { throughput_mbps: null } : {}) };
  switch (outcome) {
    case 'pass':
      return { ...base, ok: true, rtt_ms: rtt, tcp_ok: true, mtu_ok: true, ...(throughput ? { throughput_mbps: 812.4 } : {}) };
    case 'icmp':
      return { ...base, ok: false, rtt_ms: null, tcp_ok: false, mtu_ok: false, problem: `ping lost, TCP transfer failed, 1462-byte DF ping lost (10.240.0.2)` };
    case 'tcp':
      return { ...base, ok: false, rtt_ms: rtt, tcp_ok: false, mtu_ok: true, problem: 'TCP transfer failed (10.240.0.3)' };
    case 'mtu':
      return { ...base, ok: false, rtt_ms: rtt, tcp_ok: true, mtu_ok: false, problem: '1462-byte DF ping lost (10.240.0.4)' };
    case 'throughput':
      return { ...base, ok: false, rtt_ms: rtt, tcp_ok: true, mtu_ok: true, throughput_mbps: null, problem: 'bulk TCP transfer got 1048576 of 4194304 bytes in 5.0 s (limit 5 s) (10.240.0.5)' };
    case 'unprobed':
      return { ...base, ok: false, rtt_ms: null, tcp_ok: false, mtu_ok: false, probed: false, problem: "node40's containers get MTU 1500, not the mesh MTU 1462" };
  }
}

/** Three hosts, with --throughput: b→a fails TCP, b→c stalls its bulk transfer, c→a fails the MTU probe; c cannot reach the gateway. */
export function smallMesh(): { hosts: string[]; pairs: PairResult[]; gateway: GatewayResult } {
  const hosts = ['a', 'b', 'c'];
  const outcomes: Record<string, Outcome> = { 'b→a': 'tcp', 'b→c': 'throughput', 'c→a': 'mtu' };
  const pairs = hosts.flatMap((from) => hosts.filter((to) => to !== from).map((to) => pairResult(from, to, outcomes[`${from}→${to}`] ?? 'pass', true)));
  const gateway: GatewayResult = {
    address: '10.0.0.254',
    hosts: [
      { host: 'a', ok: true, rtt_ms: 0.31, probed: true },
      { host: 'b', ok: true, rtt_ms: 0.42, probed: true },
      { host: 'c', ok: false, rtt_ms: null, probed: true, problem: 'ping lost' },
    ],
  };
  return { hosts, pairs, gateway };
}

export const LARGE = { hosts: 50, icmpRow: 'node05', mtuColumn: 'node20', tcpPair: ['node30', 'node31'], unprobed: 'node40' } as const;

/**
 * Fifty hosts: node05 reaches nobody (its row fails ICMP), nobody gets a full-size packet to
 * node20 (its column fails the MTU probe), node30 → node31 fails TCP, and node40 has no probe
 * (its row and column are not probed, which wins over the rest).
 */
export function largeMesh(): { hosts: string[]; pairs: PairResult[] } {
  const hosts = Array.from({ length: LARGE.hosts }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);
  const outcome = (from: string, to: string): Outcome => {
    if (from === LARGE.unprobed || to === LARGE.unprobed) return 'unprobed';
    if (from === LARGE.icmpRow) return 'icmp';
    if (to === LARGE.mtuColumn) return 'mtu';
    if (from === LARGE.tcpPair[0] && to === LARGE.tcpPair[1]) return 'tcp';
    return 'pass';
  };
  const pairs = hosts.flatMap((from) => hosts.filter((to) => to !== from).map((to) => pairResult(from, to, outcome(from, to))));
  return { hosts, pairs };
}
