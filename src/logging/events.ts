// What the transport reports as it works, one tagged union: commands started and finished, files
// put, connections opened, failed and closed, and run locks waited for. Formatted by format.ts.

/** What ran: argv (as `exec` and `start` take it) or a script (as `execScript` takes it). */
export type CommandText = { argv: readonly string[] } | { script: string };

export type LogEvent =
  | { kind: 'connected'; host: string; ms: number }
  | { kind: 'connect-failed'; host: string; ms: number; reason: string }
  | { kind: 'closed'; host: string }
  /** `id` pairs a command's start with its end, per host. `stdin` is what the caller gave. */
  | { kind: 'command-started'; host: string; id: number; command: CommandText; stdin?: string; longRunning?: boolean }
  | {
      kind: 'command-finished';
      host: string;
      id: number;
      command: CommandText;
      ms: number;
      code: number | null;
      signal: string | null;
      stdout: string;
      stderr: string;
    }
  /** The command did not finish with a status: it timed out, or the connection was lost. */
  | { kind: 'command-failed'; host: string; id: number; command: CommandText; ms: number; reason: string }
  | { kind: 'file-put'; host: string; path: string; bytes: number; mode: number | undefined; ms: number; error?: string }
  | { kind: 'lock-wait'; host: string; holder: string; waitSeconds: number };

export type LogEventKind = LogEvent['kind'];

/** Where events go: a run log, or a test's list. */
export type LogSink = (event: LogEvent) => void;
