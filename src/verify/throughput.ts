// The optional bulk-transfer probe (`verify ping-matrix --throughput`): each probe container
// fetches a few MB from each peer in turn and times it, as one script, and its parser.
// A slow tunnel (fragmenting, or forwarding in software at a crawl) passes every ping: only
// moving data shows it.
import { shellQuote } from '../transport/quote.js';
import { PROBE_PORT } from './pair-probe.js';

/** Served by every probe only when asked, as /bulk: 4 MiB, a few hundred full-size segments at least. */
export const BULK_BYTES = 4 * 1024 * 1024;
export const BULK_PATH = '/bulk';
/** Seconds one transfer may take: 4 MiB in 5 s is 0.84 MB/s, below which a path counts as stalled. */
export const TRANSFER_TIMEOUT_S = 5;

export interface Transfer {
  bytes: number;
  seconds: number;
}

/**
 * Shell script run inside the source probe: fetches /bulk from each target, one after another
 * so a figure measures the path and not the source's other transfers, starting with the peer
 * after `self` in the list (so, across hosts, each peer serves about one transfer at a time).
 * Prints `THROUGHPUT <ip> <bytes> <start s> <end s>` per target, the times from one `ts -s` (busybox: microseconds since
 * it started), since busybox's `date` has no nanoseconds and its `time` only hundredths.
 */
export function throughputProbeScript(targets: readonly string[]): string {
  return [
    `for t in ${targets.map(shellQuote).join(' ')}; do`,
    // busybox 1.35's own `wget -T` crashes when statically linked: bound it with `timeout`.
    `  { echo start; timeout ${TRANSFER_TIMEOUT_S} wget -q -O - "http://$t:${PROBE_PORT}${BULK_PATH}" 2>/dev/null | wc -c; } \\`,
    "    | ts -s '%.s' | { read -r t0 _; read -r t1 n; echo \"THROUGHPUT $t ${n:--} ${t0:--} ${t1:--}\"; }",
    'done',
  ].join('\n');
}

/** The targets in the order `throughputProbeScript` should visit them from `self`: the peers after it first. */
export function transferOrder(names: readonly string[], self: string): string[] {
  const at = names.indexOf(self);
  return [...names.slice(at + 1), ...names.slice(0, Math.max(at, 0))].filter((name) => name !== self);
}

/** Each target's transfer as the script printed it; a line that does not parse is left out. */
export function parseThroughputProbes(stdout: string): Map<string, Transfer> {
  const transfers = new Map<string, Transfer>();
  for (const line of stdout.split('\n')) {
    const match = /^THROUGHPUT (\S+) (\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(line.trim());
    if (match === null) continue;
    const [, to = '', bytes = '', start = '', end = ''] = match;
    transfers.set(to, { bytes: Number(bytes), seconds: Number(end) - Number(start) });
  }
  return transfers;
}

/** MB/s (10^6 bytes per second) of a complete transfer; undefined when it was cut short or not timed. */
export function transferMbps(transfer: Transfer | undefined, expectedBytes = BULK_BYTES): number | undefined {
  if (transfer === undefined || transfer.bytes !== expectedBytes || !(transfer.seconds > 0)) return undefined;
  return transfer.bytes / transfer.seconds / 1e6;
}
