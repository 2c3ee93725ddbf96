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

/** Each host's containers reaching an address outside the mesh (the outside router of a flat L2). */
export interface GatewayResult {
  address: string;
  hosts: { host: string; ok: boolean; rtt_ms: number | null; problem?: string }[];
}

export interface MatrixJson {
  ok: boolean;
  pairs: Omit<PairResult, 'problem'>[];
  gateway?: { address: string; hosts: { host: string; ok: boolean; rtt_ms: number | null }[] };
}

export function matrixJson(pairs: readonly PairResult[], gateway?: GatewayResult): MatrixJson {
  const json: MatrixJson = {
    ok: pairs.length > 0 && pairs.every((p) => p.ok) && (gateway?.hosts.every((h) => h.ok) ?? true),
    pairs: pairs.map(({ from, to, ok, rtt_ms, tcp_ok, mtu_ok }) => ({ from, to, ok, rtt_ms, tcp_ok, mtu_ok })),
  };
  if (gateway !== undefined) {
    json.gateway = { address: gateway.address, hosts: gateway.hosts.map(({ host, ok, rtt_ms }) => ({ host, ok, rtt_ms })) };
  }
  return json;
}

function cell(pair: PairResult | undefined): string {
  if (pair === undefined) return '·';
  if (pair.ok) return `✓ ${pair.rtt_ms === null ? '' : `${pair.rtt_ms.toFixed(2)}ms`}`.trimEnd();
  const failed = [pair.rtt_ms === null ? 'icmp' : '', pair.tcp_ok ? '' : 'tcp', pair.mtu_ok ? '' : 'mtu'].filter(Boolean);
  return `✗ ${failed.join(',')}`;
}

export function formatMatrix(hosts: readonly string[], pairs: readonly PairResult[], mtu: number, gateway?: GatewayResult): string {
  const byPair = new Map(pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
  const rows = hosts.map((from) => [from, ...hosts.map((to) => (from === to ? '—' : cell(byPair.get(`${from}\u0000${to}`))))]);
  const header = ['from \\ to', ...hosts];
  const widths = header.map((_, col) => Math.max(...[header, ...rows].map((row) => [...(row[col] ?? '')].length)));
  const line = (row: string[]): string => row.map((text, col) => text + ' '.repeat((widths[col] ?? 0) - [...text].length)).join('  ');
  const failed = pairs.filter((p) => !p.ok);
  const out = [line(header), ...rows.map(line), ''];
  for (const pair of failed) out.push(`✗ ${pair.from} → ${pair.to}: ${pair.problem ?? 'failed'}`);
  const lost = gateway?.hosts.filter((h) => !h.ok) ?? [];
  if (gateway !== undefined) {
    const cells = gateway.hosts.map((h) => `${h.host} ${h.ok ? `✓ ${h.rtt_ms === null ? '' : `${h.rtt_ms.toFixed(2)}ms`}`.trimEnd() : '✗'}`);
    out.push(`gateway ${gateway.address}: ${cells.join(', ')}`);
    for (const h of lost) out.push(`✗ ${h.host} → gateway ${gateway.address}: ${h.problem ?? 'failed'}`);
  }
  const reach = gateway === undefined ? '' : `; every host's containers reach the gateway ${gateway.address}`;
  out.push(
    failed.length === 0 && pairs.length > 0 && lost.length === 0
      ? `Verdict: OK: ${pairs.length}/${pairs.length} pairs pass ICMP, TCP and ${mtu}-byte don't-fragment probes${reach}.`
      : `Verdict: FAILED: ${failed.length}/${pairs.length} pairs broken${gateway === undefined ? '' : `, ${lost.length} host(s) cannot reach the gateway`}.`,
  );
  return out.join('\n');
}
