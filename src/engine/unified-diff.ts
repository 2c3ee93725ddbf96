// A unified diff of two texts (`diff -u`), line by line over their longest common subsequence:
// the files meshctl puts are small (units, scripts, JSON), so the quadratic table is cheap, and
// past a size where it would not be, the diff falls back to "all removed, all added".
export interface DiffLabels {
  /** `--- LABEL` */
  from: string;
  /** `+++ LABEL` */
  to: string;
}

/** Lines of a text, and whether its last line lacks the newline (`\ No newline at end of file`). */
interface Lines {
  lines: string[];
  openEnd: boolean;
}

type Edit = { op: ' ' | '-' | '+'; line: string; last: boolean };

const MAX_TABLE = 4_000_000;

function splitLines(text: string | null): Lines {
  if (text === null || text === '') return { lines: [], openEnd: false };
  const lines = text.split('\n');
  const openEnd = lines.at(-1) !== '';
  if (!openEnd) lines.pop();
  return { lines, openEnd };
}

/** The edit script from a to b: common lines kept, the others removed then added. */
function edits(a: Lines, b: Lines): Edit[] {
  const n = a.lines.length;
  const m = b.lines.length;
  const lastA = (i: number): boolean => a.openEnd && i === n - 1;
  const lastB = (j: number): boolean => b.openEnd && j === m - 1;
  // A last line without a newline differs from the same text with one.
  const same = (i: number, j: number): boolean => a.lines[i] === b.lines[j] && lastA(i) === lastB(j);
  if (n * m > MAX_TABLE) {
    return [
      ...a.lines.map((line, i) => ({ op: '-' as const, line, last: lastA(i) })),
      ...b.lines.map((line, j) => ({ op: '+' as const, line, last: lastB(j) })),
    ];
  }
  // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = common[i]!;
    const below = common[i + 1]!;
    for (let j = m - 1; j >= 0; j--) row[j] = same(i, j) ? below[j + 1]! + 1 : Math.max(below[j]!, row[j + 1]!);
  }
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(i, j)) {
      out.push({ op: ' ', line: a.lines[i]!, last: lastA(i) });
      i++;
      j++;
    } else if (j >= m || (i < n && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push({ op: '-', line: a.lines[i]!, last: lastA(i) });
      i++;
    } else {
      out.push({ op: '+', line: b.lines[j]!, last: lastB(j) });
      j++;
    }
  }
  return out;
}

/** `start,count` of a hunk's side; an empty side names the line before it, as diff does. */
function range(start: number, count: number): string {
  const first = count === 0 ? start - 1 : start;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/**
 * The unified diff from `before` to `after` (null: no such file) with `context` lines around
 * each change; '' when they are the same.
 */
export function unifiedDiff(before: string | null, after: string | null, labels: DiffLabels, context = 3): string {
  const script = edits(splitLines(before), splitLines(after));
  const changed = script.flatMap((edit, at) => (edit.op === ' ' ? [] : [at]));
  if (changed.length === 0) return '';

  // Changes closer than twice the context share a hunk.
  const hunks: { from: number; to: number }[] = [];
  for (const at of changed) {
    const previous = hunks.at(-1);
    if (previous !== undefined && at - previous.to <= 2 * context + 1) previous.to = at;
    else hunks.push({ from: at, to: at });
  }

  const lines = [`--- ${labels.from}`, `+++ ${labels.to}`];
  // Line numbers (1-based) in each file at the start of the script's edit `at`.
  const position = (at: number): { a: number; b: number } => {
    const done = script.slice(0, at);
    return { a: done.filter((e) => e.op !== '+').length + 1, b: done.filter((e) => e.op !== '-').length + 1 };
  };
  for (const hunk of hunks) {
    const from = Math.max(0, hunk.from - context);
    const to = Math.min(script.length - 1, hunk.to + context);
    const body = script.slice(from, to + 1);
    const start = position(from);
    const countA = body.filter((e) => e.op !== '+').length;
    const countB = body.filter((e) => e.op !== '-').length;
    lines.push(`@@ -${range(start.a, countA)} +${range(start.b, countB)} @@`);
    for (const edit of body) {
      lines.push(`${edit.op}${edit.line}`);
      if (edit.last) lines.push('\\ No newline at end of file');
    }
  }
  return lines.join('\n');
}
