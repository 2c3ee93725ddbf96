// The HTML page as text: one cell per ordered pair with the right class, label and tooltip,
// everything from the inventory or a host escaped, and nothing that would load from outside.
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMatrixHtml } from '../../../src/verify/html.js';
import type { PairResult } from '../../../src/verify/matrix.js';
import { pairResult, smallMesh } from './synthetic-matrix.js';

const measuredAt = new Date('2026-03-04T05:06:07.890Z');

function unescape(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** Every cell of the page: its class, tooltip and text, in document order. */
function cells(html: string): { state: string; title: string; text: string }[] {
  return [...html.matchAll(/<td class="([\w-]+)"(?: title="([^"]*)")?>(.*?)<\/td>/g)].map(([, state = '', title = '', text = '']) => ({
    state,
    title: unescape(title),
    text: unescape(text),
  }));
}

describe('renderMatrixHtml', () => {
  const { hosts, pairs, gateway } = smallMesh();
  const html = renderMatrixHtml({ hosts, pairs, gateway, mtu: 1462, backend: 'l2', measuredAt });

  it('has a cell per ordered pair in row order, the diagonal blank, then the gateway row', () => {
    const states = cells(html).map((c) => c.state);
    // rows a, b, c (from), columns a, b, c (to); see smallMesh.
    expect(states).toEqual(['self', 'pass', 'pass', 'tcp', 'self', 'throughput', 'mtu', 'pass', 'self', 'pass', 'pass', 'icmp']);
  });

  it('names the failing probe in the cell and gives the whole problem in its tooltip', () => {
    const bToA = cells(html)[3];
    expect(bToA?.text).toBe('tcp');
    expect(bToA?.title).toBe('b → a: failed tcp: TCP transfer failed (10.240.0.3)');
    const bToC = cells(html)[5];
    expect(bToC?.text).toBe('bulk');
    expect(bToC?.title).toContain('1048576 of 4194304 bytes');
  });

  it('shows the round trip, and the MB/s when measured, in a passing cell', () => {
    const aToB = cells(html)[1];
    const pair = pairs.find((p) => p.from === 'a' && p.to === 'b');
    expect(aToB?.text).toBe(`${pair?.rtt_ms?.toFixed(2)}<br>812`);
    expect(aToB?.title).toBe(`a → b: pass, round trip ${pair?.rtt_ms} ms, 812 MB/s`);
    const plain = renderMatrixHtml({ hosts: ['a', 'b'], pairs: [pairResult('a', 'b', 'pass'), pairResult('b', 'a', 'pass')], mtu: 1462, measuredAt });
    expect(cells(plain)[1]?.text).not.toContain('<br>');
    expect(plain).not.toContain('MB/s');
  });

  it('lists every failing cell with the full problem text below the grid', () => {
    expect(html).toContain('<li>b → c: bulk TCP transfer got 1048576 of 4194304 bytes in 5.0 s (limit 5 s) (10.240.0.5)</li>');
    expect(html).toContain('<li>c → gateway 10.0.0.254: ping lost</li>');
  });

  it('says the verdict, the backend, the MTU, the gateway and when', () => {
    expect(html).toContain('Verdict: FAILED: 3/6 pairs broken, 1 host(s) cannot reach the gateway.');
    expect(html).toMatch(/backend l2 · mesh MTU 1462 · 3 hosts, 6 pairs, 3 failing · gateway 10\.0\.0\.254/);
    expect(html).toContain('<time datetime="2026-03-04T05:06:07.890Z">2026-03-04 05:06:07Z</time>');
    expect(html).toContain('→ gateway 10.0.0.254</th>');
  });

  it('marks the pairs of a host without a probe as not probed, with the reason', () => {
    const page = renderMatrixHtml({ hosts: ['a', 'b'], pairs: [pairResult('a', 'b', 'unprobed'), pairResult('b', 'a', 'unprobed')], mtu: 1462, measuredAt });
    expect(cells(page).filter((c) => c.state === 'unprobed').map((c) => c.title)).toEqual([
      "a → b: not probed: node40's containers get MTU 1500, not the mesh MTU 1462",
      "b → a: not probed: node40's containers get MTU 1500, not the mesh MTU 1462",
    ]);
  });

  it('loads nothing: no scripts, links, images, fonts or URLs, and a policy forbidding them', () => {
    expect(html).not.toMatch(/<script|<link|<img|\b(?:src|href)=|url\(|@import|@font-face|https?:/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });
});

describe('escaping', () => {
  const evilHost = `<img src=x onerror="alert('h')">&amp;`;
  const evilProblem = `"><script>alert(1)</script> wget: can't connect & <b>`;
  const pairs: PairResult[] = [
    { ...pairResult(evilHost, 'b', 'tcp'), problem: evilProblem },
    pairResult('b', evilHost, 'pass'),
  ];
  const html = renderMatrixHtml({ hosts: [evilHost, 'b'], pairs, mtu: 1462, backend: '<i>', measuredAt });

  it('lets no host name or problem text become markup', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('onerror="');
  });

  it('keeps them whole as text: in the headers, the tooltips and the list', () => {
    expect(html).toContain(`<th class="row" title="${escapeHtml(evilHost)}">${escapeHtml(evilHost)}</th>`);
    expect(cells(html).find((c) => c.state === 'tcp')?.title).toBe(`${evilHost} → b: failed tcp: ${evilProblem}`);
    expect(html).toContain(`<li>${escapeHtml(`${evilHost} → b: ${evilProblem}`)}</li>`);
    expect(unescape(escapeHtml(evilProblem))).toBe(evilProblem);
    expect(escapeHtml(`&<>"'`)).not.toMatch(/[<>"']|&(?!#\d+;)/);
  });
});
