// Reads many facts in one remote command (one shell, one sudo): each fact's command runs in a
// `sh -c` of its own, with no stdin, and what it printed comes back as it is, between lines that
// carry a random boundary, so each parser gets exactly its own stdout, stderr and exit code:
//
//   <boundary> start <index>
//   <stdout, as printed>
//   <boundary> code <exit code>
//   <stderr, as printed>
//   <boundary> done
//   … one such frame per fact, in order, then
//   <boundary> end
//
// Each line break just before a boundary line is the script's own, not the command's: so output
// with or without a final newline comes back exact. The boundary is new on every read and
// unguessable (96 random bits), so no command prints it by chance. The framing adds no process
// per fact (stderr is copied only when there is some): on every `up` this script runs on every
// host, and on a sandbox the hosts share the controller's cores.
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

/** The query of a fact that needs nothing from the host: answered here, never sent. */
const NOTHING_TO_READ = 'true';
const NOTHING_READ: ExecResult = { stdout: '', stderr: '', code: 0, signal: null };

/**
 * Runs every command on the host in one round trip (more only past FACT_SCRIPT_BUDGET). A command
 * asked for more than once (several tasks read /etc/os-release) runs once; `true` does not run.
 */
export async function readFactBatch(conn: Connection, commands: readonly string[], options: { secretOutput?: boolean } = {}): Promise<FactBatchResult> {
  const toRun = [...new Set(commands.filter((command) => command !== NOTHING_TO_READ))];
  const read = new Map<string, ExecResult>();
  let failure: { why: string; stderr: string } | undefined;
  for (const chunk of chunksWithin(toRun, FACT_SCRIPT_BUDGET)) {
    const boundary = `meshctl-fact-${randomBytes(12).toString('hex')}`;
    const script = factBatchScript(chunk, boundary);
    const batch = parseFactBatch(await conn.execScript(script, options.secretOutput === true ? { secretOutput: true } : undefined), boundary, chunk.length);
    batch.results.forEach((result, index) => read.set(chunk[index] ?? '', result));
    if (!batch.ok) {
      failure = { why: batch.why, stderr: batch.stderr };
      break;
    }
  }
  const results: ExecResult[] = [];
  for (const command of commands) {
    const result = command === NOTHING_TO_READ ? NOTHING_READ : read.get(command);
    if (result === undefined) break;
    results.push(result);
  }
  return failure === undefined ? { ok: true, results } : { ok: false, results, ...failure };
}

export function factBatchScript(commands: readonly string[], boundary: string): string {
  return [
    'dir=$(mktemp -d) || exit 1',
    `trap 'rm -rf -- "$dir"' EXIT`,
    // The transport's kill on a timeout is a TERM, which skips the EXIT trap unless it ends in exit.
    "trap 'exit 143' HUP INT TERM",
    'fact() {',
    `  printf '%s start %s\\n' ${boundary} "$1"`,
    '  sh -c "$2" </dev/null 2>"$dir/err"',
    '  code=$?',
    `  printf '\\n%s code %s\\n' ${boundary} "$code"`,
    '  if [ -s "$dir/err" ]; then cat -- "$dir/err" || exit 1; fi',
    `  printf '\\n%s done\\n' ${boundary}`,
    '}',
    ...commands.map((command, index) => `fact ${index} ${shellQuote(command)}`),
    `echo ${boundary} end`,
  ].join('\n');
}

/** Cuts the batch's output into one result per fact; anything short of every frame and the end is a failure. */
export function parseFactBatch(result: ExecResult, boundary: string, count: number): FactBatchResult {
  const text = result.stdout;
  const results: ExecResult[] = [];
  let ended = false;
  let at = 0;
  for (;;) {
    const line = lineStarting(text, `${boundary} `, at);
    if (line === -1) break;
    if (text.startsWith(`${boundary} end\n`, line)) {
      ended = true;
      break;
    }
    const header = `${boundary} start ${results.length}\n`;
    if (!text.startsWith(header, line)) break;
    const stdoutStart = line + header.length;
    const codeMark = `\n${boundary} code `;
    const codeAt = text.indexOf(codeMark, stdoutStart);
    const codeEnd = codeAt === -1 ? -1 : text.indexOf('\n', codeAt + codeMark.length);
    const code = codeEnd === -1 ? undefined : /^\d+$/.exec(text.slice(codeAt + codeMark.length, codeEnd))?.[0];
    if (code === undefined) break;
    const doneMark = `\n${boundary} done\n`;
    const stderrStart = codeEnd + 1;
    const doneAt = text.indexOf(doneMark, stderrStart);
    if (doneAt === -1) break;
    results.push({ stdout: text.slice(stdoutStart, codeAt), stderr: text.slice(stderrStart, doneAt), code: Number(code), signal: null });
    at = doneAt + doneMark.length;
  }
  if (ended && results.length === count && result.code === 0) return { ok: true, results };
  const why = result.code === 0 ? 'ended early' : `stopped (exit ${result.code ?? result.signal})`;
  return { ok: false, results: results.slice(0, count), why, stderr: result.stderr };
}

/** Where the first line at or after `from` that begins with `prefix` begins, or -1. */
function lineStarting(text: string, prefix: string, from: number): number {
  for (let at = text.indexOf(prefix, from); at !== -1; at = text.indexOf(prefix, at + 1)) {
    if (at === 0 || text[at - 1] === '\n') return at;
  }
  return -1;
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
