// The three probes from one probe container to its peers, as one script, and its parser.
// A ping alone proves little: the TCP transfer and the full-MTU ping catch the black holes where
// ping works and big transfers hang.
import { shellQuote } from '../transport/quote.js';

export const PROBE_PORT = 8080;
/** Served by every probe: large enough to need many full-size TCP segments. */
export const BLOB_BYTES = 65536;

export interface PairProbe {
  to: string;
  icmpOk: boolean;
  rttMs: number | null;
  tcpOk: boolean;
  /** The don't-fragment ping of exactly the mesh MTU got through. */
  fullSizeOk: boolean;
}

/**
 * Shell script run inside the source probe: probes all targets at once and prints one line
 * per target: `PAIR <ip> <icmp 0|1> <avg rtt|-> <tcp 0|1> <fullsize 0|1>`.
 * Linux sets DF on a ping that fits the route MTU (path MTU discovery is on by default), so a
 * ping whose packet is exactly the mesh MTU is dropped, not fragmented, where the tunnel is short.
 */
export function pairProbeScript(targets: readonly string[], pingPayload: number): string {
  return [
    'probe() {',
    '  t=$1; icmp=0; tcp=0; full=0',
    // One unmeasured ping first: the first packets to a fresh peer wait for ARP through the
    // tunnel, which is not the path's round-trip time.
    '  ping -c 1 -W 2 "$t" >/dev/null 2>&1',
    // 0.2 s apart, not busybox's 1 s: the matrix of 50 hosts is 2,450 of these.
    '  out=$(ping -c 3 -i 0.2 -W 2 "$t" 2>&1) && icmp=1',
    "  rtt=$(printf '%s\\n' \"$out\" | sed -n 's#.*= [0-9.]*/\\([0-9.]*\\)/.*#\\1#p')",
    // busybox 1.35's own `wget -T` crashes when statically linked: bound it with `timeout`.
    `  n=$(timeout 8 wget -q -O - "http://$t:${PROBE_PORT}/blob" 2>/dev/null | wc -c)`,
    `  [ "$n" -eq ${BLOB_BYTES} ] 2>/dev/null && tcp=1`,
    `  ping -c 2 -i 0.2 -W 2 -s ${pingPayload} "$t" >/dev/null 2>&1 && full=1`,
    '  echo "PAIR $t $icmp ${rtt:--} $tcp $full"',
    '}',
    `for t in ${targets.map(shellQuote).join(' ')}; do probe "$t" & done`,
    'wait',
  ].join('\n');
}

export function parsePairProbes(stdout: string): Map<string, PairProbe> {
  const probes = new Map<string, PairProbe>();
  for (const line of stdout.split('\n')) {
    const match = /^PAIR (\S+) ([01]) (\S+) ([01]) ([01])$/.exec(line.trim());
    if (match === null) continue;
    const [, to = '', icmp, rtt = '-', tcp, full] = match;
    const rttMs = rtt === '-' ? null : Number(rtt);
    probes.set(to, {
      to,
      icmpOk: icmp === '1',
      rttMs: rttMs !== null && Number.isFinite(rttMs) ? rttMs : null,
      tcpOk: tcp === '1',
      fullSizeOk: full === '1',
    });
  }
  return probes;
}

/**
 * Script run inside a probe: pings an address outside the mesh (the outside router of a flat
 * L2 design) and prints `GATEWAY <icmp 0|1> <avg rtt|->`.
 */
export function gatewayProbeScript(address: string): string {
  const t = shellQuote(address);
  return [
    `ping -c 1 -W 2 ${t} >/dev/null 2>&1`,
    `icmp=0; out=$(ping -c 3 -i 0.2 -W 2 ${t} 2>&1) && icmp=1`,
    "rtt=$(printf '%s\\n' \"$out\" | sed -n 's#.*= [0-9.]*/\\([0-9.]*\\)/.*#\\1#p')",
    'echo "GATEWAY $icmp ${rtt:--}"',
  ].join('\n');
}

export function parseGatewayProbe(stdout: string): { icmpOk: boolean; rttMs: number | null } | undefined {
  const match = /^GATEWAY ([01]) (\S+)$/m.exec(stdout);
  if (match === null) return undefined;
  const rtt = match[2] === '-' ? null : Number(match[2]);
  return { icmpOk: match[1] === '1', rttMs: rtt !== null && Number.isFinite(rtt) ? rtt : null };
}
