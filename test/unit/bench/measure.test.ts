// Peak memory from /proc/PID/status.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vmHwmKiB } from '../../../src/bench/measure.js';

describe('vmHwmKiB', () => {
  it('reads the high-water mark of a live process, at least its current resident size', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
    expect(vmHwmKiB(status)).toBeGreaterThanOrEqual(rss);
    expect(rss).toBeGreaterThan(0);
  });

  it('is undefined for a zombie, whose status has no memory lines', () => {
    expect(vmHwmKiB('Name:\tnode\nState:\tZ (zombie)\nTgid:\t42\n')).toBeUndefined();
  });
});
