// The pair-probe script run with sh against fake `ping`, `wget` and `timeout` that answer as
// busybox does (output recorded from busybox 1.35), read back by its parser; the matrix; and the
// ELF check that picks a busybox safe to copy into the probe image.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStaticElf64 } from '../../../src/verify/elf.js';
import { formatMatrix, matrixJson, type PairResult } from '../../../src/verify/matrix.js';
import { BLOB_BYTES, pairProbeScript, parsePairProbes, PROBE_PORT } from '../../../src/verify/pair-probe.js';

describe('pair probes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshctl-pair-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A peer answers ping when listed in $REACHABLE, serves the blob when in $SERVING, and passes
  // pings up to $MAX_PAYLOAD bytes (the path MTU less 28). Every call is logged, one line per argument.
  const fakes: Record<string, string> = {
    ping: `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done >> "$CALLS"; echo -- >> "$CALLS"
size=56; while [ $# -gt 1 ]; do case "$1" in -s) size=$2; shift 2;; -c|-W) shift 2;; *) shift;; esac; done; t=$1
echo "PING $t ($t): $size data bytes"
case " $REACHABLE " in *" $t "*) [ "$size" -le "$MAX_PAYLOAD" ] && up=1 || up=0;; *) up=0;; esac
if [ $up = 1 ]; then
  echo "64 bytes from $t: seq=0 ttl=64 time=0.401 ms"
  echo "64 bytes from $t: seq=1 ttl=64 time=0.072 ms"
  echo "64 bytes from $t: seq=2 ttl=64 time=0.075 ms"
  echo; echo "--- $t ping statistics ---"
  echo "3 packets transmitted, 3 packets received, 0% packet loss"
  echo "round-trip min/avg/max = 0.072/0.182/0.401 ms"
else
  echo; echo "--- $t ping statistics ---"
  echo "3 packets transmitted, 0 packets received, 100% packet loss"
  exit 1
fi
`,
    wget: `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done >> "$CALLS"; echo -- >> "$CALLS"
for url; do :; done
host=\${url#http://}; host=\${host%%:*}
case " $SERVING " in *" $host "*) head -c ${BLOB_BYTES} /dev/zero ;; *) echo "wget: can't connect to remote host ($host): Connection refused" >&2; exit 1 ;; esac
`,
    timeout: `#!/bin/sh
shift; exec "$@"
`,
  };
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of Object.entries(fakes)) writeFileSync(path.join(bin, name), text, { mode: 0o755 });
  for (const tool of ['sh', 'sed', 'wc', 'head']) {
    symlinkSync(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  }

  function probe(targets: string[], payload: number, peers: { reachable: string[]; serving: string[]; maxPayload: number }) {
    const calls = path.join(dir, 'calls');
    rmSync(calls, { force: true });
    const result = spawnSync('/bin/sh', ['-c', pairProbeScript(targets, payload)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: bin, CALLS: calls, REACHABLE: peers.reachable.join(' '), SERVING: peers.serving.join(' '), MAX_PAYLOAD: String(peers.maxPayload) },
    });
    expect(result.stderr).toBe('');
    const argv = existsSync(calls) ? readFileSync(calls, 'utf8').split('--\n').filter(Boolean).map((call) => call.trimEnd().split('\n')) : [];
    return { probes: parsePairProbes(result.stdout), argv };
  }

  it('tells a working pair from a dead one, and reads the average round trip', () => {
    const { probes } = probe(['10.240.1.2', '10.240.2.2'], 1434, { reachable: ['10.240.1.2'], serving: ['10.240.1.2'], maxPayload: 1434 });
    expect(probes.get('10.240.1.2')).toEqual({ to: '10.240.1.2', icmpOk: true, rttMs: 0.182, tcpOk: true, fullSizeOk: true });
    expect(probes.get('10.240.2.2')).toEqual({ to: '10.240.2.2', icmpOk: false, rttMs: null, tcpOk: false, fullSizeOk: false });
    expect(probes.size).toBe(2);
  });

  it('catches the black hole where ping works but a full-size packet and TCP do not', () => {
    const { probes, argv } = probe(['10.240.1.2'], 1434, { reachable: ['10.240.1.2'], serving: [], maxPayload: 1400 });
    expect(probes.get('10.240.1.2')).toMatchObject({ icmpOk: true, tcpOk: false, fullSizeOk: false });
    expect(argv).toContainEqual(expect.arrayContaining(['-s', '1434', '10.240.1.2']));
    expect(argv).toContainEqual(expect.arrayContaining([`http://10.240.1.2:${PROBE_PORT}/blob`]));
  });

  it('passes each target to the tools as one word, running none', () => {
    const evil = "x'; touch pwned; '";
    const { probes, argv } = probe([evil], 1434, { reachable: [], serving: [], maxPayload: 1434 });
    expect(argv.filter((call) => call.at(-1) === evil).length).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(probes.size).toBe(0);
  });

  it('reads only PAIR lines, skipping noise and malformed ones', () => {
    const probes = parsePairProbes('noise\nPAIR 10.240.1.2 1 0.412 1 1\nPAIR 10.240.3.2 2 - 0 0\n  PAIR 10.240.2.2 0 - 0 0  \n');
    expect([...probes.keys()]).toEqual(['10.240.1.2', '10.240.2.2']);
    expect(probes.get('10.240.1.2')?.rttMs).toBe(0.412);
  });
});

describe('matrix', () => {
  const pairs: PairResult[] = [
    { from: 'a', to: 'b', ok: true, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true, probed: true },
    { from: 'b', to: 'a', ok: false, rtt_ms: 0.7, tcp_ok: true, mtu_ok: false, probed: true, problem: '1462-byte DF ping lost' },
  ];
  it('prints a verdict that counts broken pairs', () => {
    const text = formatMatrix(['a', 'b'], pairs, 1462);
    expect(text).toContain('✓ 0.50ms');
    expect(text).toContain('✗ mtu');
    expect(text).toContain('Verdict: FAILED: 1/2 pairs broken.');
  });
  it('keeps the JSON contract, says why a pair failed, and fails an empty matrix', () => {
    expect(matrixJson(pairs)).toEqual({
      ok: false,
      pairs: [
        { from: 'a', to: 'b', ok: true, rtt_ms: 0.5, tcp_ok: true, mtu_ok: true },
        { from: 'b', to: 'a', ok: false, rtt_ms: 0.7, tcp_ok: true, mtu_ok: false, problem: '1462-byte DF ping lost' },
      ],
    });
    expect(matrixJson([]).ok).toBe(false);
  });
});

describe('isStaticElf64', () => {
  const PT_LOAD = 1;
  const PT_INTERP = 3;
  const PT_DYNAMIC = 2;
  /** An ELF image as the System V ABI lays it out: the 64-byte header, then the program headers. */
  function elf(programHeaders: number[], { elfClass = 2, byteOrder = 1, truncate = 0 } = {}): Buffer {
    const header = Buffer.alloc(64 + programHeaders.length * 56);
    header.writeUInt32BE(0x7f454c46, 0); // \x7fELF
    header[4] = elfClass; // 1 = 32-bit, 2 = 64-bit
    header[5] = byteOrder; // 1 = little-endian, 2 = big-endian
    header[6] = 1; // EV_CURRENT
    header.writeUInt16LE(2, 16); // ET_EXEC
    header.writeUInt16LE(62, 18); // x86-64
    header.writeBigUInt64LE(64n, 32); // e_phoff
    header.writeUInt16LE(56, 54); // e_phentsize
    header.writeUInt16LE(programHeaders.length, 56); // e_phnum
    programHeaders.forEach((type, i) => header.writeUInt32LE(type, 64 + i * 56));
    return header.subarray(0, header.length - truncate);
  }

  it('tells a static executable from one with a program interpreter', () => {
    expect(isStaticElf64(elf([PT_LOAD, PT_LOAD]))).toBe(true);
    expect(isStaticElf64(elf([PT_LOAD, PT_INTERP, PT_DYNAMIC]))).toBe(false);
  });

  it('refuses what it cannot read as a 64-bit little-endian ELF', () => {
    expect(isStaticElf64(elf([PT_LOAD], { elfClass: 1 }))).toBe(false);
    expect(isStaticElf64(elf([PT_LOAD], { byteOrder: 2 }))).toBe(false);
    expect(isStaticElf64(elf([PT_LOAD, PT_INTERP], { truncate: 100 }))).toBe(false);
    expect(isStaticElf64(Buffer.from('#!/bin/sh\n'.padEnd(64)))).toBe(false);
  });

  it('reads this machine: node is dynamic, the busybox-static that verify copies is static', () => {
    expect(isStaticElf64(readFileSync(process.execPath))).toBe(false);
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(existsSync);
    expect(busybox, 'no busybox: install busybox-static (scripts/ensure-docker.sh does on CI)').toBeDefined();
    if (busybox !== undefined) expect(isStaticElf64(readFileSync(busybox))).toBe(true);
  });
});
