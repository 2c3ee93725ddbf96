// Reads many facts in one remote command (one shell, one sudo): each fact's command runs in a
// `sh -c` of its own, with no stdin, and what it printed comes back base64-encoded between lines
// that carry a random boundary, so each parser gets exactly its own stdout, stderr and exit code.
//
//   <boundary> <index> <exit code>
//   <stdout, base64>
//   <boundary>
//   <stderr, base64>
//   <boundary>
//   … one such frame per fact, in order, then
//   <boundary> end
//
// base64 output is letters, digits, `+/=` and newlines only, so no line of it can be mistaken for
// a boundary line whatever a command prints (binary, a boundary of its own, no final newline).
import { randomBytes } from 'node:crypto';
import type { Connection, ExecResult } from '../transport/connection.js';
import { shellQuote } from '../transport/quote.js';

export type FactBatchResult =
  | { ok: true; results: ExecResult[] }
  /** `results`: the facts that came back whole; the one after them was running when it died. */
  | { ok: false; results: ExecResult[]; why: string; stderr: string };

/**
 * A script travels as one argument of `sh -c`, Linux takes at most 128 KiB in one argument, and
 * the transport's quoting (sudo, `sh -c`) grows it: past this size the facts are split into
 * several round trips. The OVS playbooks' facts come to about 11 KB, whatever the hosts.
 */
export const FACT_SCRIPT_BUDGET = 32 * 1024;

/** Runs every command on the host in one round trip (more only past FACT_SCRIPT_BUDGET). */
export async function readFactBatch(conn: Connection, commands: readonly string[], options: { secretOutput?: boolean } = {}): Promise<FactBatchResult> {
  const results: ExecResult[] = [];
  for (const chunk of chunksWithin(commands, FACT_SCRIPT_BUDGET)) {
    const boundary = `meshctl-fact-${randomBytes(12).toString('hex')}`;
    const script = factBatchScript(chunk, boundary);
    const batch = parseFactBatch(await conn.execScript(script, options.secretOutput === true ? { secretOutput: true } : undefined), boundary, chunk.length);
    results.push(...batch.results);
    if (!batch.ok) return { ...batch, results };
  }
  return { ok: true, results };
}

export function factBatchScript(commands: readonly string[], boundary: string): string {
  return [
    "command -v base64 >/dev/null 2>&1 || { echo 'meshctl reads facts through base64, and this host has none' >&2; exit 127; }",
    'dir=$(mktemp -d) || exit 1',
    `trap 'rm -rf -- "$dir"' EXIT`,
    // The transport's kill on a timeout is a TERM, which skips the EXIT trap unless it ends in exit.
    "trap 'exit 143' HUP INT TERM",
    'fact() {',
    '  sh -c "$2" </dev/null >"$dir/out" 2>"$dir/err"',
    '  code=$?',
    `  printf '%s %s %s\\n' ${boundary} "$1" "$code"`,
    '  base64 <"$dir/out" || exit 1',
    `  echo ${boundary}`,
    '  base64 <"$dir/err" || exit 1',
    `  echo ${boundary}`,
    '}',
    ...commands.map((command, index) => `fact ${index} ${shellQuote(command)}`),
    `echo ${boundary} end`,
  ].join('\n');
}

/** Cuts the batch's output into one result per fact; anything short of every frame and the end is a failure. */
export function parseFactBatch(result: ExecResult, boundary: string, count: number): FactBatchResult {
  const results: ExecResult[] = [];
  let frame: { code: number; stdout: string[]; stderr: string[] | undefined } | undefined;
  let ended = false;
  for (const line of result.stdout.split('\n')) {
    if (frame === undefined) {
      if (line === `${boundary} end`) {
        ended = true;
        break;
      }
      const header = line.startsWith(`${boundary} `) ? /^(\d+) (\d+)$/.exec(line.slice(boundary.length + 1)) : null;
      if (header === null) continue;
      if (Number(header[1]) !== results.length) break;
      frame = { code: Number(header[2]), stdout: [], stderr: undefined };
    } else if (line !== boundary) {
      (frame.stderr ?? frame.stdout).push(line);
    } else if (frame.stderr === undefined) {
      frame.stderr = [];
    } else {
      results.push({ stdout: decode(frame.stdout), stderr: decode(frame.stderr), code: frame.code, signal: null });
      frame = undefined;
    }
  }
  if (ended && results.length === count && result.code === 0) return { ok: true, results };
  const why = result.code === 0 ? 'ended early' : `stopped (exit ${result.code ?? result.signal})`;
  return { ok: false, results: results.slice(0, count), why, stderr: result.stderr };
}

function decode(lines: readonly string[]): string {
  return Buffer.from(lines.join(''), 'base64').toString('utf8');
}

/** Consecutive commands whose quoted lengths add up to at most `budget`; a longer one goes alone. */
function chunksWithin(commands: readonly string[], budget: number): string[][] {
  const chunks: string[][] = [];
  let size = Infinity;
  for (const command of commands) {
    const length = shellQuote(command).length;
    if (size + length > budget) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)?.push(command);
    size += length;
  }
  return chunks;
}
