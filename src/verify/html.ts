// The ping matrix as one self-contained HTML page (`verify ping-matrix --html FILE`): the N×N
// grid coloured by result, the round trip or the failing probe in each cell, the full problem in
// its tooltip. Inline CSS only and a policy that forbids loading anything, so the page opens
// anywhere, offline. Example: renderMatrixHtml({ hosts, pairs, mtu: 1462, measuredAt: new Date() }).
import { failedProbes, formatThroughput, matrixJson, verdictLine, type FailedProbe, type GatewayResult, type PairResult, type Sampling } from './matrix.js';
import { BULK_BYTES, TRANSFER_TIMEOUT_S } from './throughput.js';

export interface MatrixPage {
  hosts: readonly string[];
  pairs: readonly PairResult[];
  mtu: number;
  /** `--peers K`: the cells of the pairs not sampled say "not probed". */
  sampling?: Sampling;
  gateway?: GatewayResult;
  backend?: string;
  measuredAt: Date;
}

export type CellState = 'pass' | FailedProbe | 'unprobed';

/** Cell backgrounds, distinct enough to tell apart at a glance and, in the browser test, by pixel. */
export const CELL_COLOURS: Readonly<Record<CellState, string>> = {
  pass: '#1a7f37',
  icmp: '#cf222e',
  tcp: '#e16f24',
  mtu: '#8250df',
  throughput: '#d4a72c',
  unprobed: '#afb8c1',
};

const LABELS: Readonly<Record<CellState, string>> = {
  pass: 'pass',
  icmp: 'icmp',
  tcp: 'tcp',
  mtu: 'mtu',
  throughput: 'bulk',
  unprobed: '·',
};

const LEGEND: Readonly<Record<CellState, (mtu: number) => string>> = {
  pass: () => 'pass (round trip in ms)',
  icmp: () => 'icmp: ping lost',
  tcp: () => 'tcp: 64 KiB transfer failed',
  mtu: (mtu) => `mtu: ${mtu}-byte don't-fragment ping lost`,
  throughput: () => `bulk: ${BULK_BYTES / 1024 / 1024} MiB transfer not done in ${TRANSFER_TIMEOUT_S} s`,
  unprobed: () => 'not probed (no probe at one end, or not sampled: --peers)',
};

export function cellState(pair: PairResult): CellState {
  if (!pair.probed) return 'unprobed';
  return pair.ok ? 'pass' : (failedProbes(pair)[0] ?? 'icmp');
}

/** Cell size by the number of hosts: roomy for a few, small enough that 50 fit a 1600-pixel-wide window. */
function cellSize(hosts: number, twoLines: boolean): { width: number; height: number; font: number } {
  const size = hosts <= 12 ? { width: 56, height: 30, font: 12 } : hosts <= 30 ? { width: 40, height: 22, font: 10 } : { width: 28, height: 18, font: 9 };
  return twoLines ? { ...size, height: Math.round(size.height * 1.6) } : size;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round trip in as few characters as a small cell holds: 0.18, 12.3, 143. */
function compactMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function pairCell(pair: PairResult | undefined, from: string, to: string, roomy: boolean): string {
  if (pair === undefined) return `<td class="unprobed" title="${escapeHtml(`${from} → ${to}: not probed (not sampled)`)}">${LABELS.unprobed}</td>`;
  const state = cellState(pair);
  const route = `${from} → ${to}`;
  if (state === 'pass') {
    const rtt = pair.rtt_ms === null ? '' : compactMs(pair.rtt_ms);
    const mbps = typeof pair.throughput_mbps === 'number' ? formatThroughput(pair.throughput_mbps) : undefined;
    const title = [`${route}: pass`, ...(pair.rtt_ms === null ? [] : [`round trip ${pair.rtt_ms} ms`]), ...(mbps === undefined ? [] : [`${mbps} MB/s`])].join(', ');
    return `<td class="pass" title="${escapeHtml(title)}">${rtt}${mbps === undefined ? '' : `<br>${mbps}`}</td>`;
  }
  if (state === 'unprobed') {
    return `<td class="unprobed" title="${escapeHtml(`${route}: not probed: ${pair.problem ?? 'no probe'}`)}">${LABELS.unprobed}</td>`;
  }
  const failed = failedProbes(pair);
  const label = roomy ? failed.map((probe) => LABELS[probe]).join('+') : `${LABELS[state]}${failed.length > 1 ? '+' : ''}`;
  const title = `${route}: failed ${failed.join(', ')}: ${pair.problem ?? 'failed'}`;
  return `<td class="${state}" title="${escapeHtml(title)}">${escapeHtml(label)}</td>`;
}

function gatewayRow(hosts: readonly string[], gateway: GatewayResult): string {
  const byHost = new Map(gateway.hosts.map((h) => [h.host, h]));
  const cells = hosts.map((host) => {
    const reached = byHost.get(host);
    const route = `${host} → gateway ${gateway.address}`;
    if (reached === undefined || !reached.probed) return `<td class="unprobed" title="${escapeHtml(`${route}: not probed${reached?.problem === undefined ? '' : `: ${reached.problem}`}`)}">${LABELS.unprobed}</td>`;
    if (reached.ok) {
      const title = `${route}: pass${reached.rtt_ms === null ? '' : `, round trip ${reached.rtt_ms} ms`}`;
      return `<td class="pass" title="${escapeHtml(title)}">${reached.rtt_ms === null ? '' : compactMs(reached.rtt_ms)}</td>`;
    }
    return `<td class="icmp" title="${escapeHtml(`${route}: failed: ${reached.problem ?? 'failed'}`)}">${LABELS.icmp}</td>`;
  });
  const label = `→ gateway ${gateway.address}`;
  return `<tr class="gateway"><th class="row" title="${escapeHtml(`each host's containers → the gateway ${gateway.address}`)}">${escapeHtml(label)}</th>${cells.join('')}</tr>`;
}

const STYLE = `
:root { color-scheme: light; font: 13px/1.4 system-ui, sans-serif; color: #1f2328; }
body { margin: 8px; }
h1 { font-size: 16px; margin: 0 0 2px; }
p { margin: 0 0 2px; }
.verdict { font-weight: 600; }
.verdict.ok { color: #1a7f37; }
.verdict.failed { color: #cf222e; }
.meta { color: #57606a; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 2px 0 6px; padding: 0; color: #57606a; }
.legend i { display: inline-block; width: 8px; height: 8px; margin-right: 4px; }
.grid { overflow: auto; max-width: 100%; max-height: 100vh; }
table { border-collapse: separate; border-spacing: 1px; }
th { background: #fff; font-weight: 500; white-space: nowrap; }
thead th { position: sticky; top: 0; z-index: 1; vertical-align: bottom; }
tbody th { position: sticky; left: 0; z-index: 1; text-align: right; padding: 0 4px; max-width: 14em; overflow: hidden; text-overflow: ellipsis; }
thead th.corner { left: 0; z-index: 2; text-align: right; padding: 0 4px; color: #57606a; font-weight: 400; }
thead th.col span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; max-height: 10em; overflow: hidden; text-overflow: ellipsis; }
td { width: var(--cell-w); min-width: var(--cell-w); max-width: var(--cell-w); height: var(--cell-h); padding: 0; overflow: hidden;
  text-align: center; white-space: nowrap; font: var(--cell-font)/1.1 ui-monospace, monospace; color: #fff; }
td.self { background: #f6f8fa; }
tr.gateway th, tr.gateway td { border-top: 3px solid #fff; }
${(Object.keys(CELL_COLOURS) as CellState[]).map((state) => `td.${state}, .legend i.${state} { background: ${CELL_COLOURS[state]}; }`).join('\n')}
td.throughput, td.unprobed { color: #1f2328; }
.problems { margin-top: 10px; }
.problems li { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; }
`;

export function renderMatrixHtml(page: MatrixPage): string {
  const { hosts, pairs, mtu, gateway } = page;
  const byPair = new Map(pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
  const withThroughput = pairs.some((p) => p.throughput_mbps !== undefined);
  const size = cellSize(hosts.length, withThroughput);
  const roomy = hosts.length <= 12;
  const verdict = verdictLine(pairs, mtu, gateway, page.sampling);
  const { ok } = matrixJson(pairs, gateway);
  const failing = pairs.filter((p) => !p.ok);
  const measured = page.measuredAt.toISOString();

  const header = `<tr><th class="corner">from \\ to</th>${hosts.map((to) => `<th class="col" title="${escapeHtml(to)}"><span>${escapeHtml(to)}</span></th>`).join('')}</tr>`;
  const rows = hosts.map((from) => {
    const cells = hosts.map((to) => (from === to ? '<td class="self"></td>' : pairCell(byPair.get(`${from}\u0000${to}`), from, to, roomy)));
    return `<tr><th class="row" title="${escapeHtml(from)}">${escapeHtml(from)}</th>${cells.join('')}</tr>`;
  });
  if (gateway !== undefined) rows.push(gatewayRow(hosts, gateway));

  const meta = [
    ...(page.backend === undefined ? [] : [`backend ${page.backend}`]),
    `mesh MTU ${mtu}`,
    `${hosts.length} hosts, ${pairs.length} pairs, ${failing.length} failing`,
    ...(gateway === undefined ? [] : [`gateway ${gateway.address}`]),
    ...(withThroughput ? [`cells: round trip ms / bulk MB/s`] : []),
  ].join(' · ');
  const states: CellState[] = ['pass', 'icmp', 'tcp', 'mtu', ...(withThroughput ? (['throughput'] as const) : []), 'unprobed'];
  const legend = states.map((state) => `<li><i class="${state}"></i>${escapeHtml(LEGEND[state](mtu))}</li>`).join('');
  const lost = gateway?.hosts.filter((h) => !h.ok) ?? [];
  const problems = [
    ...failing.map((p) => `${p.from} → ${p.to}: ${p.problem ?? 'failed'}`),
    ...lost.map((h) => `${h.host} → gateway ${gateway?.address ?? ''}: ${h.problem ?? 'failed'}`),
  ];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`meshctl ping matrix: ${ok ? 'OK' : 'FAILED'}, ${hosts.length} hosts`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>meshctl ping matrix</h1>
<p class="verdict ${ok ? 'ok' : 'failed'}">${escapeHtml(verdict)}</p>
<p class="meta">${escapeHtml(meta)} · measured <time datetime="${measured}">${measured.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time></p>
<ul class="legend">${legend}</ul>
<div class="grid">
<table style="--cell-w: ${size.width}px; --cell-h: ${size.height}px; --cell-font: ${size.font}px">
<thead>${header}</thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>
${problems.length === 0 ? '' : `<section class="problems"><h2>${problems.length} problem(s)</h2><ul>\n${problems.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}\n</ul></section>`}
</body>
</html>
`;
}
