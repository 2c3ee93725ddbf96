// The HTML matrix as a person sees it: rendered by headless Chromium (Debian's chromium, which
// scripts/ensure-docker.sh installs) into a 1600×1200 screenshot, whose pixels are then read
// back: each kind of cell must be where its pair is, and the picture must hold as many cells of
// each kind as the results have pairs.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CELL_COLOURS, renderMatrixHtml, type CellState } from '../../../src/verify/html.js';
import { decodePng, type RgbaImage } from './png.js';
import { LARGE, largeMesh, smallMesh } from './synthetic-matrix.js';

const CHROMIUM = '/usr/bin/chromium';
const WINDOW = { width: 1600, height: 1200 };
/** Legend swatches are 8 px wide, cells at least 28: runs shorter than this are not cells. */
const MIN_CELL_RUN = 14;

const dir = mkdtempSync(path.join(tmpdir(), 'meshctl-html-picture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function screenshot(name: string, html: string): Promise<RgbaImage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test renders the HTML matrix in it. Install it with \`sudo bash scripts/ensure-docker.sh\` (Debian's chromium package).`);
  }
  const page = path.join(dir, `${name}.html`);
  const png = path.join(dir, `${name}.png`);
  writeFileSync(page, html);
  await promisify(execFile)(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${mkdtempSync(path.join(dir, 'profile-'))}`,
    `--screenshot=${png}`, `--window-size=${WINDOW.width},${WINDOW.height}`, `file://${page}`,
  ], { timeout: 60_000 });
  return decodePng(readFileSync(png));
}

interface Region {
  /** Cells of this colour: runs as wide as a cell with none of this colour right above them (a top edge, not a run beside text). */
  cells: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** The pixel row and column holding the most of this colour. */
  busiestRow: number;
  busiestColumn: number;
}

/** Where each cell colour is, counting only horizontal runs as wide as a cell's edge (not legend swatches or text). */
function regions(image: RgbaImage): Map<CellState, Region> {
  const colours = (Object.entries(CELL_COLOURS) as [CellState, string][]).map(([state, hex]) => ({
    state,
    rgb: [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number],
  }));
  const stateAt = (x: number, y: number): CellState | undefined => {
    const i = (y * image.width + x) * 4;
    const { rgba } = image;
    return colours.find(({ rgb }) => rgb.every((v, c) => Math.abs((rgba[i + c] ?? 0) - v) <= 2))?.state;
  };
  const rows = new Map<CellState, number[]>();
  const columns = new Map<CellState, number[]>();
  const found = new Map<CellState, Region>();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; ) {
      const state = stateAt(x, y);
      let end = x + 1;
      while (end < image.width && stateAt(end, y) === state) end++;
      if (state !== undefined && end - x >= MIN_CELL_RUN) {
        const region = found.get(state) ?? { cells: 0, left: x, right: x, top: y, bottom: y, busiestRow: 0, busiestColumn: 0 };
        let topEdge = true;
        for (let c = x; c < end && y > 0 && topEdge; c++) topEdge = stateAt(c, y - 1) !== state;
        found.set(state, { ...region, cells: region.cells + (topEdge ? 1 : 0), left: Math.min(region.left, x), right: Math.max(region.right, end - 1), bottom: y });
        const perRow = rows.get(state) ?? new Array<number>(image.height).fill(0);
        const perColumn = columns.get(state) ?? new Array<number>(image.width).fill(0);
        perRow[y] = (perRow[y] ?? 0) + end - x;
        for (let c = x; c < end; c++) perColumn[c] = (perColumn[c] ?? 0) + 1;
        rows.set(state, perRow);
        columns.set(state, perColumn);
      }
      x = end;
    }
  }
  const busiest = (counts: number[]): number => counts.indexOf(Math.max(...counts));
  for (const [state, region] of found) {
    region.busiestRow = busiest(rows.get(state) ?? []);
    region.busiestColumn = busiest(columns.get(state) ?? []);
  }
  return found;
}

function region(found: Map<CellState, Region>, state: CellState): Region {
  const r = found.get(state);
  expect(r, `no ${state} cell in the picture`).toBeDefined();
  return r as Region;
}

const centreX = (r: Region): number => (r.left + r.right) / 2;
const centreY = (r: Region): number => (r.top + r.bottom) / 2;
const width = (r: Region): number => r.right - r.left + 1;
const height = (r: Region): number => r.bottom - r.top + 1;

describe('the HTML matrix in Chromium', () => {
  it('shows 3 hosts with each failing cell at its pair, one cell each, the gateway row below', { timeout: 90_000 }, async () => {
    const { hosts, pairs, gateway } = smallMesh();
    const image = await screenshot('three', renderMatrixHtml({ hosts, pairs, gateway, mtu: 1462, backend: 'l2', measuredAt: new Date() }));
    const found = regions(image);
    const [tcp, mtu, bulk, icmp, pass] = (['tcp', 'mtu', 'throughput', 'icmp', 'pass'] as const).map((state) => region(found, state)) as Region[] as [Region, Region, Region, Region, Region];
    expect(found.has('unprobed'), 'a cell shows "not probed" though every pair was probed').toBe(false);

    // b → a (tcp) above c → a (mtu), in a's column; b → c (bulk) in b's row, two columns right.
    expect(Math.abs(centreX(tcp) - centreX(mtu))).toBeLessThanOrEqual(1);
    expect(tcp.bottom).toBeLessThan(mtu.top);
    expect(Math.abs(centreY(bulk) - centreY(tcp))).toBeLessThanOrEqual(1);
    expect(bulk.left - tcp.right).toBeGreaterThan(width(tcp));
    // The gateway row: c's cell, under c's column, below the last host row.
    expect(Math.abs(centreX(icmp) - centreX(bulk))).toBeLessThanOrEqual(1);
    expect(icmp.top).toBeGreaterThan(mtu.bottom);
    for (const cell of [mtu, bulk, icmp]) expect([width(cell), height(cell), cell.cells]).toEqual([width(tcp), height(tcp), 1]);
    expect(tcp.cells).toBe(1);
    const passing = pairs.filter((p) => p.ok).length + gateway.hosts.filter((h) => h.ok).length;
    expect(pass.cells).toBe(passing);
  });

  it('fits 50 hosts in a 1600×1200 window, the failures drawing a row, a column, a cross and one cell in inventory order', { timeout: 90_000 }, async () => {
    const { hosts, pairs } = largeMesh();
    const image = await screenshot('fifty', renderMatrixHtml({ hosts, pairs, mtu: 1462, backend: 'ovs-gre', measuredAt: new Date() }));
    const found = regions(image);
    const [icmp, mtu, tcp, unprobed, pass] = (['icmp', 'mtu', 'tcp', 'unprobed', 'pass'] as const).map((state) => region(found, state)) as Region[] as [Region, Region, Region, Region, Region];
    const count = (outcome: (p: (typeof pairs)[number]) => boolean): number => pairs.filter(outcome).length;

    // node05's row is a wide band, node20's column a tall one, node40 a cross, node30 → node31 one cell.
    expect(width(icmp) / height(icmp)).toBeGreaterThan(20);
    expect(height(mtu) / width(mtu)).toBeGreaterThan(20);
    expect(width(unprobed)).toBeGreaterThan(width(icmp) * 0.95);
    expect(height(unprobed)).toBeGreaterThan(height(mtu) * 0.95);
    expect(width(tcp)).toBe(width(mtu));
    expect(height(tcp)).toBe(height(icmp));
    // Rows and columns at an even pitch, in inventory order.
    const row = (host: string): number => hosts.indexOf(host);
    const [tcpFrom, tcpTo] = LARGE.tcpPair;
    const rowPitch = (unprobed.busiestRow - icmp.busiestRow) / (row(LARGE.unprobed) - row(LARGE.icmpRow));
    const columnPitch = (unprobed.busiestColumn - mtu.busiestColumn) / (row(LARGE.unprobed) - row(LARGE.mtuColumn));
    // (The busiest row and column of a band are its cells' first: the top and left edges.)
    expect(Math.abs(tcp.top - (icmp.busiestRow + rowPitch * (row(tcpFrom) - row(LARGE.icmpRow))))).toBeLessThan(rowPitch / 4);
    expect(Math.abs(tcp.left - (mtu.busiestColumn + columnPitch * (row(tcpTo) - row(LARGE.mtuColumn))))).toBeLessThan(columnPitch / 4);
    // Every pair's cell is on the screen, in its colour: none cut off by the window or hidden behind a scroll.
    expect({ icmp: icmp.cells, mtu: mtu.cells, tcp: tcp.cells, unprobed: unprobed.cells, pass: pass.cells }).toEqual({
      icmp: count((p) => p.probed && p.rtt_ms === null),
      mtu: count((p) => p.probed && p.rtt_ms !== null && !p.mtu_ok),
      tcp: count((p) => p.probed && p.rtt_ms !== null && !p.tcp_ok),
      unprobed: count((p) => !p.probed),
      pass: count((p) => p.ok),
    });
  });
});

describe('decodePng', () => {
  // A 3×5 RGB image, one scanline per PNG filter type (none, sub, up, average, paeth), encoded here.
  const pixelsOf = (y: number): number[] => [0, 1, 2].flatMap((x) => [40 * x + y, 200 - 30 * y, (x * 97 + y * 31) % 256]);
  const predictors = [
    (): number => 0,
    (a: number): number => a,
    (_a: number, b: number): number => b,
    (a: number, b: number): number => (a + b) >> 1,
    (a: number, b: number, c: number): number => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    },
  ];
  function png(): Buffer {
    const lines = predictors.map((predict, y) => {
      const line = pixelsOf(y);
      const above = y > 0 ? pixelsOf(y - 1) : line.map(() => 0);
      return [y, ...line.map((v, i) => (v - predict(i >= 3 ? (line[i - 3] ?? 0) : 0, above[i] ?? 0, i >= 3 && y > 0 ? (above[i - 3] ?? 0) : 0) + 256) & 0xff)];
    });
    const chunk = (type: string, data: Buffer): Buffer => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]); // the reader does not check CRCs
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(3, 0);
    header.writeUInt32BE(predictors.length, 4);
    header.set([8, 2, 0, 0, 0], 8);
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.from(lines.flat()))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }

  it('undoes every filter type and expands RGB to RGBA', () => {
    const image = decodePng(png());
    expect([image.width, image.height]).toEqual([3, 5]);
    for (let y = 0; y < 5; y++) {
      const expected = pixelsOf(y);
      for (let x = 0; x < 3; x++) {
        expect([...image.rgba.subarray((y * 3 + x) * 4, (y * 3 + x) * 4 + 4)], `pixel ${x},${y}`).toEqual([...expected.slice(x * 3, x * 3 + 3), 255]);
      }
    }
  });
});
