import { describe, expect, it } from 'vitest';
import { peerOffsets, sampledPeers } from '../../../src/verify/sample.js';

describe('sampledPeers', () => {
  it('gives every host every other host when not sampling, or when K is N−1 or more', () => {
    const all = sampledPeers(['a', 'b', 'c'], undefined);
    expect(Object.fromEntries(all)).toEqual({ a: ['b', 'c'], b: ['c', 'a'], c: ['a', 'b'] });
    expect(sampledPeers(['a', 'b', 'c'], 2)).toEqual(all);
    expect(sampledPeers(['a', 'b', 'c'], 40)).toEqual(all);
  });

  it('spreads K offsets over the ring, as the header shows', () => {
    expect(Object.fromEntries(sampledPeers(['a', 'b', 'c', 'd', 'e'], 2))).toEqual({ a: ['c', 'e'], b: ['d', 'a'], c: ['e', 'b'], d: ['a', 'c'], e: ['b', 'd'] });
  });

  it('has each host send K probes and receive K, never to itself, for any N and K', () => {
    for (const n of [2, 3, 7, 12, 50, 51, 500]) {
      const names = Array.from({ length: n }, (_, i) => `h${i}`);
      for (const k of [1, 2, 3, 5, 10, 49]) {
        const peers = sampledPeers(names, k);
        const expected = Math.min(k, n - 1);
        const received = new Map(names.map((name) => [name, 0]));
        for (const [from, targets] of peers) {
          expect(new Set(targets).size, `${n}/${k} ${from}`).toBe(expected);
          expect(targets).not.toContain(from);
          for (const to of targets) received.set(to, (received.get(to) ?? 0) + 1);
        }
        for (const count of received.values()) expect(count, `${n}/${k}`).toBe(expected);
      }
    }
  });

  it('reaches across the inventory: the offsets end at N−1, not at K', () => {
    expect(peerOffsets(50, 3)).toEqual([16, 32, 49]);
    expect(peerOffsets(1, 3)).toEqual([]);
  });
});
