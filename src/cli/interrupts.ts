// Ctrl-C and SIGTERM while a command works on hosts: the first asks the run to start nothing new
// and let the running steps finish, the second to stop waiting for them. Should the command
// still not have ended a few seconds after that (a connection that will not close), or at a
// third signal, the process exits 130 there and then: never a stack trace, never exit 127 from
// a library's handler. Once the command has returned, a signal does what it does by default.
import { ExitCode } from '../errors.js';
import { Interrupt } from '../engine/interrupt.js';
import type { Output } from '../output.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** How long an aborted command may take to close its sessions before the process just exits. */
export const ABORT_GRACE_MS = 5_000;

export const FIRST_INTERRUPT = 'interrupted: finishing the running steps (Ctrl-C again to abort now)';
export const SECOND_INTERRUPT = 'aborting: no longer waiting for the running steps; closing the sessions';

export interface InterruptOptions {
  /** Ends the process (tests give their own). */
  exit?: (code: number) => void;
  /** What receives the signals (tests emit them on an EventEmitter of their own). */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** Runs `fn` with an Interrupt that SIGINT and SIGTERM request, for as long as `fn` runs. */
export async function withInterrupts<T>(output: Output, fn: (interrupt: Interrupt) => Promise<T>, options: InterruptOptions = {}): Promise<T> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  const interrupt = new Interrupt();
  let grace: NodeJS.Timeout | undefined;
  const onSignal = (): void => {
    if (interrupt.abort.aborted) {
      exit(ExitCode.interrupted);
      return;
    }
    if (interrupt.request() === 'finishing') {
      output.err(FIRST_INTERRUPT);
      return;
    }
    output.err(SECOND_INTERRUPT);
    // A command that ends in time (its sessions closed) returns as usual, with its own code.
    grace = setTimeout(() => exit(ExitCode.interrupted), ABORT_GRACE_MS);
    grace.unref();
  };
  for (const signal of SIGNALS) signals.on(signal, onSignal);
  try {
    return await fn(interrupt);
  } finally {
    clearTimeout(grace);
    for (const signal of SIGNALS) signals.off(signal, onSignal);
  }
}
