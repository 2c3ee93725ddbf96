// The benchmark's figures: the median of each measurement's runs, and the markdown table of them.
// Example: `median([3, 1, 2])` → 2; `markdownTable(rows)` → '| hosts | backend | ...'.

/** One measured command: wall time and the meshctl process's peak memory, per run. */
export interface Samples {
  seconds: number[];
  /** VmHWM of the meshctl process, MiB; undefined where /proc could not be read. */
  peakMiB: (number | undefined)[];
}

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const measurements = ['firstUp', 'firstUpFloor', 'noopUp', 'noopFloor', 'verify', 'down'] as const;
export type Measurement = (typeof measurements)[number];

export interface SizeResult {
  hosts: number;
  backend: string;
  samples: Record<Measurement, Samples>;
}

export interface SizeFigures {
  hosts: number;
  backend: string;
  /** Median seconds of each measurement. */
  seconds: Record<Measurement, number>;
  /** The highest of the measurements' median peak memory, MiB: the controller's peak for this mesh. */
  peakMiB: number;
}

export function figuresOf(result: SizeResult): SizeFigures {
  const seconds = Object.fromEntries(measurements.map((m) => [m, median(result.samples[m].seconds)])) as Record<Measurement, number>;
  const peaks = measurements.map((m) => median(result.samples[m].peakMiB.filter((p): p is number => p !== undefined)));
  return { hosts: result.hosts, backend: result.backend, seconds, peakMiB: Math.max(...peaks.filter((p) => !Number.isNaN(p))) };
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (value: number, floor: number): string => (Number.isFinite(value / floor) ? `${(value / floor).toFixed(2)}×` : '–');

export function markdownTable(figures: readonly SizeFigures[], runs: number): string {
  const header = [
    'hosts', 'backend', 'first `up`', 'its floor', 'ratio', 'no-op `up`', '`exec -- true`', 'ratio', '`verify ping-matrix`', '`down`', 'peak MiB',
  ];
  const rows = figures.map((f) => [
    String(f.hosts),
    f.backend,
    `${fixed(f.seconds.firstUp, 1)} s`,
    `${fixed(f.seconds.firstUpFloor, 1)} s`,
    ratio(f.seconds.firstUp, f.seconds.firstUpFloor),
    `${fixed(f.seconds.noopUp, 2)} s`,
    `${fixed(f.seconds.noopFloor, 2)} s`,
    ratio(f.seconds.noopUp, f.seconds.noopFloor),
    `${fixed(f.seconds.verify, 1)} s`,
    `${fixed(f.seconds.down, 1)} s`,
    fixed(f.peakMiB, 0),
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line), '', `Medians of ${runs} run(s) each.`].join('\n');
}
