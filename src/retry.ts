// Calls a function again after a failure, with exponential backoff (zx's retry and expBackoff),
// for a number of attempts or for a time, e.g. wait up to 60 s for dockerd to answer:
//   await retryWithBackoff(() => dockerAnswers(), { timeoutMs: 60_000, maxDelayMs: 2_000 });
import { expBackoff, retry } from 'zx';

export type RetryOptions = ({ attempts: number; timeoutMs?: number } | { attempts?: number; timeoutMs: number }) & {
  /** The first wait; each next one doubles, up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** False for an error that no further attempt can cure: it is thrown at once. */
  retryIf?: (error: unknown) => boolean;
};

/**
 * Resolves with the first attempt that does not throw. Throws the last attempt's error once the
 * attempts or the time are used up (the attempt running at the deadline is not cut short), or at
 * once an error for which `retryIf` is false. `attempt` gets the milliseconds left (Infinity
 * without a timeout), e.g. to bound its own wait.
 */
export async function retryWithBackoff<T>(attempt: (msLeft: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts = Number.MAX_SAFE_INTEGER, timeoutMs, firstDelayMs = 100, maxDelayMs = 2_000, retryIf = () => true } = options;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  // zx's retry retries every error and knows no deadline: an error that ends the retrying comes
  // out of it as a value.
  const outcome = await retry(attempts, delaysUntil(deadline, firstDelayMs, maxDelayMs), async (): Promise<Outcome<T>> => {
    try {
      return { value: await attempt(deadline - Date.now()) };
    } catch (error) {
      if (!retryIf(error) || Date.now() >= deadline) return { error };
      throw error;
    }
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

type Outcome<T> = { value: T } | { error: unknown };

function* delaysUntil(deadline: number, firstDelayMs: number, maxDelayMs: number): Generator<number> {
  for (const delay of expBackoff(maxDelayMs, firstDelayMs)) yield Math.max(0, Math.min(delay, deadline - Date.now()));
}
