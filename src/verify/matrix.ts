// The verdict of a ping matrix: per ordered pair results, the N×N table and the JSON shape.

export interface PairResult {
  from: string;
  to: string;
  ok: boolean;
  rtt_ms: number | null;
  tcp_ok: boolean;
  mtu_ok: boolean;
  /** Why the pair failed (not part of the JSON contract). */
  problem?: string;
}

export function matrixJson(pairs: readonly PairResult[]): { ok: boolean; pairs: Omit<PairResult, 'problem'>[] } {
  return {
    ok: pairs.length > 0 && pairs.every((p) => p.ok),
    pairs: pairs.map(({ from, to, ok, rtt_ms, tcp_ok, mtu_ok }) => ({ from, to, ok, rtt_ms, tcp_ok, mtu_ok })),
  };
}

function cell(pair: PairResult | undefined): string {
  if (pair === undefined) return '·';
  if (pair.ok) return `✓ ${pair.rtt_ms === null ? '' : `${pair.rtt_ms.toFixed(2)}ms`}`.trimEnd();
  const failed = [pair.rtt_ms === null ? 'icmp' : '', pair.tcp_ok ? '' : 'tcp', pair.mtu_ok ? '' : 'mtu'].filter(Boolean);
  return `✗ ${failed.join(',')}`;
}

export function formatMatrix(hosts: readonly string[], pairs: readonly PairResult[], mtu: number): string {
  const byPair = new Map(pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
  const rows = hosts.map((from) => [from, ...hosts.map((to) => (from === to ? '—' : cell(byPair.get(`${from}\u0000${to}`))))]);
  const header = ['from \\ to', ...hosts];
  const widths = header.map((_, col) => Math.max(...[header, ...rows].map((row) => [...(row[col] ?? '')].length)));
  const line = (row: string[]): string => row.map((text, col) => text + ' '.repeat((widths[col] ?? 0) - [...text].length)).join('  ');
  const failed = pairs.filter((p) => !p.ok);
  const out = [line(header), ...rows.map(line), ''];
  for (const pair of failed) out.push(`✗ ${pair.from} → ${pair.to}: ${pair.problem ?? 'failed'}`);
  out.push(
    failed.length === 0 && pairs.length > 0
      ? `Verdict: OK: ${pairs.length}/${pairs.length} pairs pass ICMP, TCP and ${mtu}-byte don't-fragment probes.`
      : `Verdict: FAILED: ${failed.length}/${pairs.length} pairs broken.`,
  );
  return out.join('\n');
}
