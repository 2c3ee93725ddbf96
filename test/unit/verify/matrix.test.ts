import { describe, expect, it } from 'vitest';
import { formatMatrix, matrixJson, type GatewayResult, type PairResult } from '../../../src/verify/matrix.js';
import { parseGatewayProbe } from '../../../src/verify/pair-probe.js';

const pair = (from: string, to: string, ok = true): PairResult => ({ from, to, ok, rtt_ms: ok ? 0.5 : null, tcp_ok: ok, mtu_ok: ok });
const pairs = [pair('a', 'b'), pair('b', 'a')];

describe('the gateway in the verdict', () => {
  const reached: GatewayResult = { address: '10.0.0.254', hosts: [{ host: 'a', ok: true, rtt_ms: 0.3 }, { host: 'b', ok: true, rtt_ms: 0.4 }] };
  const lost: GatewayResult = { address: '10.0.0.254', hosts: [{ host: 'a', ok: true, rtt_ms: 0.3 }, { host: 'b', ok: false, rtt_ms: null, problem: 'ping lost' }] };

  it('passes only when every pair passes and every host reaches the gateway', () => {
    expect(matrixJson(pairs, reached).ok).toBe(true);
    expect(matrixJson(pairs, lost).ok).toBe(false);
    expect(matrixJson([pair('a', 'b', false), pair('b', 'a')], reached).ok).toBe(false);
  });

  it('reports the gateway per host in JSON, without the problem text', () => {
    expect(matrixJson(pairs, lost).gateway).toEqual({
      address: '10.0.0.254',
      hosts: [{ host: 'a', ok: true, rtt_ms: 0.3 }, { host: 'b', ok: false, rtt_ms: null }],
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
