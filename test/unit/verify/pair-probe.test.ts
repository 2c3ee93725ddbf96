import { describe, expect, it } from 'vitest';
import { formatMatrix, matrixJson, type PairResult } from '../../../src/verify/matrix.js';
import { pairProbeScript, parsePairProbes } from '../../../src/verify/pair-probe.js';
import { isStaticElf64 } from '../../../src/verify/elf.js';
import { readFileSync, existsSync } from 'node:fs';

describe('pair probes', () => {
  it('quotes targets and sizes the full-MTU ping', () => {
    const script = pairProbeScript(['10.240.1.2', '10.240.2.2'], 1434);
    expect(script).toContain('for t in 10.240.1.2 10.240.2.2; do probe');
    expect(pairProbeScript(["x'; reboot"], 1)).toContain("for t in 'x'\\''; reboot'; do");
    expect(script).toContain('-s 1434');
  });

  it('parses results and ignores noise', () => {
    const probes = parsePairProbes('noise\nPAIR 10.240.1.2 1 0.412 1 1\nPAIR 10.240.2.2 0 - 0 0\n');
    expect(probes.get('10.240.1.2')).toEqual({ to: '10.240.1.2', icmpOk: true, rttMs: 0.412, tcpOk: true, fullSizeOk: true });
    expect(probes.get('10.240.2.2')).toEqual({ to: '10.240.2.2', icmpOk: false, rttMs: null, tcpOk: false, fullSizeOk: false });
    expect(probes.size).toBe(2);
  });
});

describe('matrix', () => {
  const pairs: PairResult[] = [
    { from: 'a', to: 'b', ok: true, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true },
    { from: 'b', to: 'a', ok: false, rtt_ms: 0.7, tcp_ok: true, mtu_ok: false, problem: '1462-byte DF ping lost' },
  ];
  it('prints a verdict that counts broken pairs', () => {
    const text = formatMatrix(['a', 'b'], pairs, 1462);
    expect(text).toContain('✓ 0.50ms');
    expect(text).toContain('✗ mtu');
    expect(text).toContain('Verdict: FAILED: 1/2 pairs broken.');
  });
  it('keeps the JSON contract and fails an empty matrix', () => {
    expect(matrixJson(pairs)).toEqual({
      ok: false,
      pairs: [
        { from: 'a', to: 'b', ok: true, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true },
        { from: 'b', to: 'a', ok: false, rtt_ms: 0.7, tcp_ok: true, mtu_ok: false },
      ],
    });
    expect(matrixJson([]).ok).toBe(false);
  });
});

describe('isStaticElf64', () => {
  it('tells a static binary from a dynamic one', () => {
    expect(isStaticElf64(readFileSync(process.execPath))).toBe(false);
    if (existsSync('/bin/busybox')) expect(isStaticElf64(readFileSync('/bin/busybox'))).toBe(true);
    expect(isStaticElf64(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });
});
