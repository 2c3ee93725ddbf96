// The throughput probe script run with sh against a fake `wget` (one that takes a set time), the
// real busybox `ts` that times it in the probe image, read back by its parser; and the parser
// over output recorded from busybox 1.35 fetching over loopback from busybox httpd.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBE_PORT } from '../../../src/verify/pair-probe.js';
import { BULK_BYTES, BULK_PATH, parseThroughputProbes, throughputProbeScript, transferMbps, transferOrder } from '../../../src/verify/throughput.js';

/** Output of throughputProbeScript for 127.0.0.2 (serving /bulk), .3 (no /bulk: 404) and .4 (nothing listening). */
const RECORDED = `THROUGHPUT 127.0.0.2 4194304 0.005577 0.023005
THROUGHPUT 127.0.0.3 0 0.003708 0.006546
THROUGHPUT 127.0.0.4 0 0.003939 0.008076
`;

describe('parseThroughputProbes', () => {
  it('reads bytes and seconds per target from recorded output', () => {
    const transfers = parseThroughputProbes(RECORDED);
    expect([...transfers.keys()]).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(transfers.get('127.0.0.2')?.bytes).toBe(4194304);
    expect(transfers.get('127.0.0.2')?.seconds).toBeCloseTo(0.017428, 6);
    expect(transfers.get('127.0.0.3')?.bytes).toBe(0);
  });

  it('leaves out a line without timings (a busybox without ts) and noise', () => {
    expect(parseThroughputProbes('sh: ts: not found\nTHROUGHPUT 10.0.0.9 - - -\nTHROUGHPUT 10.0.0.8 12 x 1.0\n').size).toBe(0);
  });

  it('gives MB/s only for a complete, timed transfer', () => {
    const transfers = parseThroughputProbes(RECORDED);
    expect(transferMbps(transfers.get('127.0.0.2'))).toBeCloseTo(240.66, 2);
    expect(transferMbps(transfers.get('127.0.0.3'))).toBeUndefined();
    expect(transferMbps({ bytes: BULK_BYTES - 1, seconds: 1 })).toBeUndefined();
    expect(transferMbps({ bytes: BULK_BYTES, seconds: 0 })).toBeUndefined();
    expect(transferMbps(undefined)).toBeUndefined();
  });
});

describe('transferOrder', () => {
  it('starts after the source and wraps round, leaving the source out', () => {
    expect(transferOrder(['a', 'b', 'c', 'd'], 'c')).toEqual(['d', 'a', 'b']);
    expect(transferOrder(['a', 'b', 'c', 'd'], 'a')).toEqual(['b', 'c', 'd']);
    expect(transferOrder(['a', 'b', 'c', 'd'], 'd')).toEqual(['a', 'b', 'c']);
  });
});

describe('throughputProbeScript', () => {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(existsSync);
  const dir = mkdtempSync(path.join(tmpdir(), 'meshctl-throughput-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A peer in $SERVING sends the bulk file after $DELAY seconds; one in $SHORT sends 1000 bytes; any other refuses.
  // Each call logs its URL and when it started and ended.
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'wget'), `#!/bin/sh
for url; do :; done
host=\${url#http://}; host=\${host%%:*}
echo "start $url" >> "$CALLS"
case " $SERVING " in
  *" $host "*) sleep "$DELAY"; head -c ${BULK_BYTES} /dev/zero ;;
  *) case " $SHORT " in *" $host "*) head -c 1000 /dev/zero ;; *) echo "wget: can't connect to remote host ($host): Connection refused" >&2; exit 1 ;; esac ;;
esac
echo "end $url" >> "$CALLS"
`, { mode: 0o755 });
  writeFileSync(path.join(bin, 'timeout'), '#!/bin/sh\nshift; exec "$@"\n', { mode: 0o755 });
  for (const tool of ['sh', 'wc', 'head', 'sleep']) {
    symlinkSync(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  }
  if (busybox !== undefined) symlinkSync(busybox, path.join(bin, 'ts'));

  function run(targets: string[], peers: { serving: string[]; short?: string[]; delay: number }) {
    expect(busybox, 'no busybox: install busybox-static (scripts/ensure-docker.sh does on CI)').toBeDefined();
    const calls = path.join(dir, 'calls');
    rmSync(calls, { force: true });
    const result = spawnSync('/bin/sh', ['-c', throughputProbeScript(targets)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: bin, CALLS: calls, SERVING: peers.serving.join(' '), SHORT: (peers.short ?? []).join(' '), DELAY: String(peers.delay) },
    });
    expect(result.stderr).toBe('');
    return { transfers: parseThroughputProbes(result.stdout), calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
  }

  it('times each transfer with ts in seconds: at least the time the peer took, not minutes', () => {
    const { transfers } = run(['10.240.1.2'], { serving: ['10.240.1.2'], delay: 0.3 });
    const transfer = transfers.get('10.240.1.2');
    expect(transfer?.bytes).toBe(BULK_BYTES);
    expect(transfer?.seconds).toBeGreaterThanOrEqual(0.3);
    // Seconds, not microseconds or minutes; not a speed test: a loaded 2-core CI may add seconds.
    expect(transfer?.seconds).toBeLessThan(10);
  });

  it('fetches from one peer after another, and reports a short or refused one by its byte count', () => {
    const { transfers, calls } = run(['10.240.1.2', '10.240.2.2', '10.240.3.2'], { serving: ['10.240.1.2', '10.240.3.2'], short: ['10.240.2.2'], delay: 0.1 });
    const url = (t: string): string => `http://${t}:${PROBE_PORT}${BULK_PATH}`;
    expect(calls).toEqual([`start ${url('10.240.1.2')}`, `end ${url('10.240.1.2')}`, `start ${url('10.240.2.2')}`, `end ${url('10.240.2.2')}`, `start ${url('10.240.3.2')}`, `end ${url('10.240.3.2')}`]);
    expect([...transfers].map(([t, { bytes }]) => [t, bytes])).toEqual([['10.240.1.2', BULK_BYTES], ['10.240.2.2', 1000], ['10.240.3.2', BULK_BYTES]]);
    expect(run(['10.240.9.2'], { serving: [], delay: 0 }).transfers.get('10.240.9.2')?.bytes).toBe(0);
  });

  it('passes each target to wget as one word, running none', () => {
    const evil = "x'; touch pwned; '";
    const { calls } = run([evil], { serving: [], delay: 0 });
    expect(calls).toEqual([`start http://${evil}:${PROBE_PORT}${BULK_PATH}`]);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });
});
