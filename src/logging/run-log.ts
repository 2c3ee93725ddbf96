// The log of one meshctl run: every event, secrets taken out first, goes to -v's stderr lines
// (formatLine) and to the --log file (formatFull, timestamped, appended as it happens, so a run
// that hangs or is killed leaves what it did). main() opens it for the command it runs and makes
// it the current one, which the transport reports to (commands/context.ts wraps each connection).
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { LogEvent } from './events.js';
import { formatFull, formatLine } from './format.js';
import { Redactor } from './redact.js';

export interface RunLogOptions {
  /** -v: where a line per finished command goes (stderr). */
  verbose?: (line: string) => void;
  /** --log: the file appended to. */
  file?: string;
  /** The first line of the file: what was run. */
  header?: string;
  now?: () => Date;
}

export class RunLog {
  readonly verbose: boolean;
  private readonly redactor = new Redactor();
  private fd: number | null = null;
  private readonly now: () => Date;

  /** Throws UsageError when the file cannot be opened for appending. */
  constructor(private readonly options: RunLogOptions) {
    this.verbose = options.verbose !== undefined;
    this.now = options.now ?? (() => new Date());
    if (options.file !== undefined) {
      try {
        this.fd = openSync(options.file, 'a', 0o600);
      } catch (error) {
        throw new UsageError(`--log ${options.file}: cannot open it for writing: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (options.header !== undefined) this.write(this.redactor.text(options.header));
    }
  }

  /** A value never to be written: a sudo password. */
  addSecret(secret: string): void {
    this.redactor.add(secret);
  }

  readonly emit = (event: LogEvent): void => {
    const clean = this.redactEvent(event);
    if (this.options.verbose !== undefined) {
      const line = formatLine(clean);
      if (line !== null) this.options.verbose(this.redactor.text(line));
    }
    if (this.fd !== null) this.write(this.redactor.text(formatFull(clean)));
  };

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private write(text: string): void {
    if (this.fd === null) return;
    // A log that cannot be written must not stop the run that it describes.
    try {
      writeSync(this.fd, `${this.now().toISOString()} ${text}\n`);
    } catch {
      this.close();
    }
  }

  /** Every text of the event redacted before it is formatted, so no cut can split a secret. */
  private redactEvent(event: LogEvent): LogEvent {
    const clean = (value: unknown): unknown => {
      if (typeof value === 'string') return this.redactor.text(value);
      if (Array.isArray(value)) return value.map(clean);
      if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
      return value;
    };
    return clean(event) as LogEvent;
  }
}

let current: RunLog | undefined;

/** The log of the command being run, if it was asked for (-v or --log). */
export function currentRunLog(): RunLog | undefined {
  return current;
}

export function setCurrentRunLog(log: RunLog | undefined): void {
  current = log;
}
