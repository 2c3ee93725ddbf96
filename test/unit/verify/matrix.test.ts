import { describe, expect, it } from 'vitest';
import { failedProbes, formatHostRound, formatMatrix, formatThroughputRound, matrixJson, type GatewayResult, type PairResult } from '../../../src/verify/matrix.js';
import { parseGatewayProbe } from '../../../src/verify/pair-probe.js';

const pair = (from: string, to: string, ok = true): PairResult => ({ from, to, ok, rtt_ms: ok ? 0.5 : null, tcp_ok: ok, mtu_ok: ok, probed: true });
const pairs = [pair('a', 'b'), pair('b', 'a')];

describe('the gateway in the verdict', () => {
  const reached: GatewayResult = { address: '10.0.0.254', hosts: [{ host: 'a', ok: true, rtt_ms: 0.3, probed: true }, { host: 'b', ok: true, rtt_ms: 0.4, probed: true }] };
  const lost: GatewayResult = {
    address: '10.0.0.254',
    hosts: [{ host: 'a', ok: true, rtt_ms: 0.3, probed: true }, { host: 'b', ok: false, rtt_ms: null, probed: true, problem: 'ping lost' }],
  };

  it('passes only when every pair passes and every host reaches the gateway', () => {
    expect(matrixJson(pairs, reached).ok).toBe(true);
    expect(matrixJson(pairs, lost).ok).toBe(false);
    expect(matrixJson([pair('a', 'b', false), pair('b', 'a')], reached).ok).toBe(false);
  });

  it('reports the gateway per host in JSON, with the problem of a host that failed', () => {
    expect(matrixJson(pairs, lost).gateway).toEqual({
      address: '10.0.0.254',
      hosts: [{ host: 'a', ok: true, rtt_ms: 0.3 }, { host: 'b', ok: false, rtt_ms: null, problem: 'ping lost' }],
    });
    expect(matrixJson(pairs)).not.toHaveProperty('gateway');
  });

  it('names the host that cannot reach it', () => {
    const text = formatMatrix(['a', 'b'], pairs, 1500, lost);
    expect(text).toContain('✗ b → gateway 10.0.0.254: ping lost');
    expect(text).toMatch(/Verdict: FAILED: 0\/2 pairs broken, 1 host\(s\) cannot reach the gateway/);
    expect(formatMatrix(['a', 'b'], pairs, 1500, reached)).toMatch(/Verdict: OK: .*reach the gateway 10\.0\.0\.254/);
  });
});

describe('parseGatewayProbe', () => {
  it('reads the probe line, with or without a round-trip time', () => {
    expect(parseGatewayProbe('noise\nGATEWAY 1 0.071\n')).toEqual({ icmpOk: true, rttMs: 0.071 });
    expect(parseGatewayProbe('GATEWAY 0 -')).toEqual({ icmpOk: false, rttMs: null });
    expect(parseGatewayProbe('sh: ping: not found')).toBeUndefined();
  });
});

describe('throughput in the outputs', () => {
  const measured = (from: string, to: string, mbps: number | null): PairResult =>
    mbps === null
      ? { ...pair(from, to), ok: false, throughput_mbps: null, problem: 'bulk TCP transfer got 0 of 4194304 bytes in 0.0 s (limit 5 s) (10.240.2.2)' }
      : { ...pair(from, to), throughput_mbps: mbps };
  const pairs = [measured('a', 'b', 812.34), measured('b', 'a', null)];

  it('adds throughput_mbps to each pair of the JSON only when measured', () => {
    expect(matrixJson(pairs).pairs).toEqual([
      { from: 'a', to: 'b', ok: true, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true, throughput_mbps: 812.34 },
      {
        from: 'b', to: 'a', ok: false, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true, throughput_mbps: null,
        problem: 'bulk TCP transfer got 0 of 4194304 bytes in 0.0 s (limit 5 s) (10.240.2.2)',
      },
    ]);
    expect(matrixJson([pair('a', 'b')]).pairs[0]).not.toHaveProperty('throughput_mbps');
  });

  it('fails a pair whose three probes passed but whose transfer stalled, naming the transfer', () => {
    expect(failedProbes(pairs[1] as PairResult)).toEqual(['throughput']);
    expect(failedProbes({ ...pair('a', 'b', false), throughput_mbps: null })).toEqual(['icmp', 'tcp', 'mtu']);
    expect(matrixJson(pairs).ok).toBe(false);
  });

  it('prints a second table of MB/s, and no such table without the probe', () => {
    const lines = formatMatrix(['a', 'b'], pairs, 1462).split('\n');
    const table = lines.slice(lines.findIndex((line) => line.startsWith('MB/s')));
    expect(table[1]).toMatch(/^a\s+—\s+812$/);
    expect(table[2]).toMatch(/^b\s+✗\s+—\s*$/);
    expect(lines).toContain('✗ b → a: bulk TCP transfer got 0 of 4194304 bytes in 0.0 s (limit 5 s) (10.240.2.2)');
    expect(formatMatrix(['a', 'b'], [pair('a', 'b'), pair('b', 'a')], 1462)).not.toContain('MB/s');
  });

  it('says in the verdict that the transfers passed too', () => {
    const all = [measured('a', 'b', 812), measured('b', 'a', 640)];
    expect(formatMatrix(['a', 'b'], all, 1462)).toContain("pass ICMP, TCP and 1462-byte don't-fragment probes and a timed bulk transfer.");
  });
});

describe('progress lines', () => {
  it("says how many of a host's peers pass as its round ends, naming the failing ones and their probes", () => {
    const mtuLost: PairResult = { ...pair('a', 'c'), ok: false, mtu_ok: false };
    expect(formatHostRound(1, 'a', [pair('a', 'b'), mtuLost, pair('a', 'd', false)])).toBe('a: 1/3 peers pass; failing: c (mtu), d (icmp,tcp,mtu)');
    expect(formatHostRound(2, 'a', [pair('a', 'b')])).toBe('round 2: a: 1/1 peers pass');
    const many = Array.from({ length: 8 }, (_, i) => pair('a', `n${i}`, false));
    expect(formatHostRound(1, 'a', many)).toMatch(/^a: 0\/8 peers pass; failing: n0 \(icmp,tcp,mtu\), .*n4 \(icmp,tcp,mtu\), and 3 more$/);
  });

  it('gives the range of MB/s and the stalled peers as a host finishes its transfers', () => {
    const stalled: PairResult = { ...pair('a', 'd'), ok: false, throughput_mbps: null };
    expect(formatThroughputRound('a', [{ ...pair('a', 'b'), throughput_mbps: 240.66 }, { ...pair('a', 'c'), throughput_mbps: 45.61 }, stalled]))
      .toBe('a: bulk transfers to 3 peers, 45.6–241 MB/s; stalled: d');
    expect(formatThroughputRound('a', [stalled])).toBe('a: bulk transfers to 1 peer; stalled: d');
  });
});

describe('a sampled matrix (verify --peers)', () => {
  const sampled = [pair('a', 'b'), pair('b', 'c'), pair('c', 'a')];
  const sampling = { peers: 1, of: 2 };

  it('says it was sampled, in the verdict and the JSON, and leaves the pairs not probed as dots', () => {
    const text = formatMatrix(['a', 'b', 'c'], sampled, 1462, undefined, sampling);
    expect(text).toContain('Verdict: OK: 3/3 pairs (sampled: 1 of 2 peers per host) pass');
    expect(text.split('\n')[1]).toMatch(/^a\s+—\s+✓ 0\.50ms\s+·\s*$/);
    expect(matrixJson(sampled, undefined, sampling).sampled).toEqual({ peers_per_host: 1, of: 2 });
    expect(matrixJson(sampled)).not.toHaveProperty('sampled');
  });
});
