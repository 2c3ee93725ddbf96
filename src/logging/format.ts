// One formatter per kind of log event: `line` is what -v prints as things finish (null: nothing),
// `full` what --log writes (every detail, a command's output cut at OUTPUT_LIMIT_BYTES per stream).
//   formatLine({ kind: 'command-finished', host: 'node1', ms: 210, code: 0, ... })
//     === "node1 ✓ 0.21s exit 0  sh -c 'set -e…' (412 bytes)"
import { shellJoin, shellQuote } from '../transport/quote.js';
import type { CommandText, LogEvent, LogEventKind } from './events.js';

export const OUTPUT_LIMIT_BYTES = 64 * 1024;
const SUMMARY_CHARS = 120;

type EventOf<K extends LogEventKind> = Extract<LogEvent, { kind: K }>;
interface Formatter<K extends LogEventKind> {
  line(event: EventOf<K>): string | null;
  full(event: EventOf<K>): string;
}

const formatters: { [K in LogEventKind]: Formatter<K> } = {
  connected: {
    line: (e) => `${e.host} connected in ${seconds(e.ms)}`,
    full: (e) => `${e.host} connected in ${seconds(e.ms)}`,
  },
  'connect-failed': {
    line: (e) => `${e.host} ✗ cannot connect after ${seconds(e.ms)}: ${e.reason}`,
    full: (e) => `${e.host} cannot connect after ${seconds(e.ms)}: ${e.reason}`,
  },
  closed: {
    line: () => null,
    full: (e) => `${e.host} connection closed`,
  },
  'command-started': {
    line: () => null,
    full: (e) =>
      [
        `${e.host} #${e.id} started${e.longRunning === true ? ' (runs until meshctl ends it)' : ''}: ${summary(e.command)}`,
        'argv' in e.command ? section('command', shellJoin(e.command.argv)) : section('script (sh -c)', e.command.script),
        ...(e.stdin === undefined ? [] : [section('stdin', e.stdin)]),
      ].join('\n'),
  },
  'command-finished': {
    line: (e) => `${e.host} ${e.code === 0 ? '✓' : '✗'} ${seconds(e.ms)} ${status(e)}  ${summary(e.command)}`,
    full: (e) =>
      [`${e.host} #${e.id} finished in ${seconds(e.ms)}: ${status(e)}`, section('stdout', e.stdout), section('stderr', e.stderr)].join('\n'),
  },
  'command-failed': {
    line: (e) => `${e.host} ✗ ${seconds(e.ms)} ${e.reason}  ${summary(e.command)}`,
    full: (e) => `${e.host} #${e.id} failed after ${seconds(e.ms)}: ${e.reason}`,
  },
  'file-put': {
    line: (e) => `${e.host} ${e.error === undefined ? '✓' : '✗'} ${seconds(e.ms)} put ${e.path} (${e.bytes} bytes, mode ${mode(e.mode)})${e.error === undefined ? '' : `: ${e.error}`}`,
    full: (e) => `${e.host} put ${e.path} (${e.bytes} bytes, mode ${mode(e.mode)}) in ${seconds(e.ms)}${e.error === undefined ? '' : `: failed: ${e.error}`}`,
  },
  'lock-wait': {
    line: () => null,
    full: (e) => `${e.host} waiting up to ${e.waitSeconds}s for the run lock: locked by ${e.holder}`,
  },
};

/** What -v prints for the event, or null when it prints nothing for this kind. */
export function formatLine(event: LogEvent): string | null {
  return (formatters[event.kind] as Formatter<LogEventKind>).line(event);
}

/** What --log writes for the event (after a timestamp); may span lines. */
export function formatFull(event: LogEvent): string {
  return (formatters[event.kind] as Formatter<LogEventKind>).full(event);
}

/** One line naming the command: argv joined, or a script; past its first line or SUMMARY_CHARS,
 * that first line (cut) and the whole length. */
export function summary(command: CommandText): string {
  if ('argv' in command) return firstLineOf(shellJoin(command.argv), (first) => first);
  return firstLineOf(command.script, (first) => `sh -c ${shellQuote(first)}`);
}

function firstLineOf(text: string, show: (first: string) => string): string {
  const [first = ''] = text.split('\n', 1);
  if (first.length === text.length && first.length <= SUMMARY_CHARS) return show(text);
  return `${show(`${first.slice(0, SUMMARY_CHARS)}…`)} (${Buffer.byteLength(text)} bytes)`;
}

function status(e: EventOf<'command-finished'>): string {
  return e.code !== null ? `exit ${e.code}` : `signal ${e.signal ?? 'unknown'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function mode(value: number | undefined): string {
  return value === undefined ? 'default' : value.toString(8).padStart(4, '0');
}

/** `name (N bytes):` and the text indented below it, cut at OUTPUT_LIMIT_BYTES. */
function section(name: string, text: string): string {
  const bytes = Buffer.byteLength(text);
  if (bytes === 0) return `  ${name}: (empty)`;
  const kept = bytes > OUTPUT_LIMIT_BYTES ? Buffer.from(text).subarray(0, OUTPUT_LIMIT_BYTES).toString('utf8') : text;
  const cut = bytes > OUTPUT_LIMIT_BYTES ? `\n    … ${bytes - OUTPUT_LIMIT_BYTES} more bytes not logged` : '';
  const body = kept.replace(/\n$/, '').split('\n').map((line) => `    ${line}`).join('\n');
  return `  ${name} (${bytes} bytes):\n${body}${cut}`;
}
