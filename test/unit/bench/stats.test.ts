// The benchmark's figures: medians of the runs, the controller's peak, and the table a person reads.
import { describe, expect, it } from 'vitest';
import { figuresOf, markdownTable, measurements, median, type Measurement, type Samples, type SizeResult } from '../../../src/bench/stats.js';

describe('median', () => {
  it('takes the middle run whatever the order, the mean of the two middle ones for an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('is not moved by one slow outlier', () => {
    expect(median([1.0, 1.1, 60])).toBe(1.1);
  });
});

function result(seconds: (m: Measurement) => number[], peak: (m: Measurement) => (number | undefined)[]): SizeResult {
  const samples = Object.fromEntries(measurements.map((m): [Measurement, Samples] => [m, { seconds: seconds(m), peakMiB: peak(m) }])) as Record<Measurement, Samples>;
  return { hosts: 12, backend: 'ovs-gre', samples };
}

describe('figuresOf', () => {
  it('gives each measurement its median and the mesh the highest median peak, ignoring unread peaks', () => {
    const peaks: Record<Measurement, (number | undefined)[]> = {
      firstUp: [90, 95, 100], firstUpFloor: [60, undefined, 62], noopUp: [70, 71, 72], noopFloor: [50, 50, 50], verify: [110, 120, 400], down: [undefined, undefined, undefined],
    };
    const figures = figuresOf(result((m) => [measurements.indexOf(m) + 3, measurements.indexOf(m) + 1, 100], (m) => peaks[m]));
    for (const m of measurements) expect(figures.seconds[m]).toBe(measurements.indexOf(m) + 3);
    expect(figures.peakMiB).toBe(120);
  });
});

describe('markdownTable', () => {
  it('has one row per mesh under a header of as many cells, with the ratios to the floors', () => {
    const figures = figuresOf(result((m) => (m === 'firstUp' ? [115] : m === 'firstUpFloor' ? [100] : m === 'noopUp' ? [3] : m === 'noopFloor' ? [2] : [5]), () => [64]));
    const lines = markdownTable([figures, { ...figures, hosts: 24 }], 3).split('\n');
    const cells = (line: string): string[] => line.slice(1, -1).split('|').map((c) => c.trim());
    expect(cells(lines[1] ?? '').every((c) => c === '---')).toBe(true);
    const row = cells(lines[2] ?? '');
    expect(row).toHaveLength(cells(lines[0] ?? '').length);
    expect(row.slice(0, 5)).toEqual(['12', 'ovs-gre', '115.0 s', '100.0 s', '1.15×']);
    expect(row[7]).toBe('1.50×');
    expect(cells(lines[3] ?? '')[0]).toBe('24');
    expect(lines.at(-1)).toContain('3 run(s)');
  });
});
