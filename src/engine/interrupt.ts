// How a run is asked to stop (Ctrl-C, SIGTERM): the first request lets what already runs on the
// hosts finish and starts nothing new; the second gives up on that and leaves at once. The
// engine and the commands only look at the two signals; the CLI turns process signals into
// requests.
//   const interrupt = new Interrupt();
//   runPlays(plays, sessions, { ...options, interrupt });   // interrupt.request() from a handler

export type InterruptStage = 'finishing' | 'aborting';

export class Interrupt {
  private readonly finishing = new AbortController();
  private readonly aborting = new AbortController();

  /** Aborted at the first request: start no task, no step of a new task, no play. */
  get stop(): AbortSignal {
    return this.finishing.signal;
  }

  /** Aborted at the second request: stop waiting for what still runs. */
  get abort(): AbortSignal {
    return this.aborting.signal;
  }

  /** The stage the run is now in. */
  request(): InterruptStage {
    if (!this.finishing.signal.aborted) {
      this.finishing.abort();
      return 'finishing';
    }
    this.aborting.abort();
    return 'aborting';
  }
}

/** What the engine reads of an Interrupt. */
export type InterruptSignals = Pick<Interrupt, 'stop' | 'abort'>;

/** For a run given no Interrupt: one that is never requested. */
export const NEVER_INTERRUPTED: InterruptSignals = new Interrupt();

/**
 * Settles as `work` does, or with `aborted` once `signal` aborts first; what `work` does after
 * that is dropped (its rejection too, so it is never unhandled).
 */
export async function unlessAborted<T, A>(work: Promise<T>, signal: AbortSignal, aborted: A): Promise<T | A> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return aborted;
  }
  let onAbort: (() => void) | undefined;
  const abortedFirst = new Promise<A>((resolve) => {
    onAbort = () => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abortedFirst]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
  }
}
