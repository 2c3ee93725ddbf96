import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/engine/map-limit.js';

/** Records how many calls run at once, each taking a few milliseconds. */
function gauge(): { fn: (n: number) => Promise<number>; peak: () => number; started: number[] } {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  return {
    fn: async (n) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await sleep(n % 3);
      running--;
      return n * 10;
    },
    peak: () => peak,
    started,
  };
}

describe('mapLimit', () => {
  it('keeps at most `limit` calls running and returns the results in the order of the items', async () => {
    const g = gauge();
    const items = Array.from({ length: 12 }, (_, i) => i);
    expect(await mapLimit(items, 3, g.fn)).toEqual(items.map((n) => n * 10));
    expect(g.peak()).toBe(3);
  });

  it('runs everything at once when the limit is above the number of items', async () => {
    const g = gauge();
    await mapLimit([1, 2, 3, 4], 10, g.fn);
    expect(g.peak()).toBe(4);
  });

  it('starts nothing new after a failure and rejects once the running calls have settled', async () => {
    const settled: number[] = [];
    const failure = mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      if (n === 1) throw new Error('item 1 broke');
      await sleep(5);
      settled.push(n);
      return n;
    });
    await expect(failure).rejects.toThrow('item 1 broke');
    // 0 was running when 1 failed: it finished before the rejection; 2 to 5 never started.
    expect(settled).toEqual([0]);
  });
});
