// `npm run bench -- ...`: its options, defaults and refusals.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { defaults, parseBenchArgs } from '../../../src/bench/args.js';

const backends = ['ovs-gre', 'ovs-vxlan', 'vxlan', 'l2', 'overlay'];

describe('parseBenchArgs', () => {
  it('defaults to 3, 12 and 24 hosts, 3 runs, ovs-gre and vxlan', () => {
    expect(parseBenchArgs([], backends)).toEqual({ sizes: [3, 12, 24], runs: 3, backends: ['ovs-gre', 'vxlan'], keep: false, skipFirstUp: false });
    expect(defaults.runs).toBeGreaterThanOrEqual(3);
  });

  it('takes each option as two words or with =', () => {
    expect(parseBenchArgs(['--sizes', '3,12', '--runs=5', '--backends', 'l2', '--keep'], backends)).toEqual({ sizes: [3, 12], runs: 5, backends: ['l2'], keep: true, skipFirstUp: false });
    expect(parseBenchArgs(['--skip-first-up'], backends).skipFirstUp).toBe(true);
    expect(parseBenchArgs(['--sizes=50'], backends).sizes).toEqual([50]);
  });

  it('refuses unknown options, backends and sizes that are not whole numbers, as usage errors', () => {
    for (const argv of [['--size', '3'], ['--skip-first-up=yes'], ['--backends', 'gre'], ['--sizes', '3,x'], ['--runs', '0'], ['--runs'], ['--sizes', ',']]) {
      expect(() => parseBenchArgs(argv, backends), argv.join(' ')).toThrow(UsageError);
    }
  });
});
