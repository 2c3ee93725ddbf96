// The benchmark's command line: `--sizes 3,12,24 --runs 3 --backends ovs-gre,vxlan --keep --skip-first-up`.
import { UsageError } from '../errors.js';

export interface BenchOptions {
  sizes: number[];
  runs: number;
  backends: string[];
  /** Leave the last sandbox of each size and backend up (its mesh up too). */
  keep: boolean;
  /**
   * Measure no first `up` nor its floor (each a new sandbox of fresh hosts per run: at 24 hosts
   * that part alone takes an hour here); the other figures run on the baked image as always.
   */
  skipFirstUp: boolean;
}

/** ovs-gre, and vxlan for a backend of the other family (routed, one tunnel device per host, O(N)). */
export const defaults: BenchOptions = { sizes: [3, 12, 24], runs: 3, backends: ['ovs-gre', 'vxlan'], keep: false, skipFirstUp: false };

export function parseBenchArgs(argv: readonly string[], backendNames: readonly string[]): BenchOptions {
  const options: BenchOptions = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--sizes') options.sizes = list(value()).map((size) => whole(size, '--sizes'));
    else if (flag === '--runs') options.runs = whole(value(), '--runs');
    else if (flag === '--backends') options.backends = list(value());
    else if (flag === '--keep' && inline === undefined) options.keep = true;
    else if (flag === '--skip-first-up' && inline === undefined) options.skipFirstUp = true;
    else throw new UsageError(`unknown option ${arg}: use --sizes N,N --runs N --backends NAME,NAME --keep --skip-first-up`);
  }
  const unknown = options.backends.filter((name) => !backendNames.includes(name));
  if (unknown.length > 0) throw new UsageError(`--backends: unknown ${unknown.join(', ')}: use ${backendNames.join(', ')}`);
  if (options.sizes.length === 0 || options.backends.length === 0) throw new UsageError('--sizes and --backends need at least one value');
  return options;
}

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function whole(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: ${text} is not a whole number of at least 1`);
  return n;
}
