// retryWithBackoff: how many attempts, how long it waits between them, and which error comes out.
import { describe, expect, it } from 'vitest';
import { retryWithBackoff } from '../../src/retry.js';

/** An attempt that fails `failures` times, then answers; it notes when it was called. */
function flaky(failures: number, error: (n: number) => Error = (n) => new Error(`failure ${n}`)) {
  const calls: number[] = [];
  const attempt = async (): Promise<string> => {
    calls.push(Date.now());
    if (calls.length <= failures) throw error(calls.length);
    return 'answer';
  };
  return { attempt, calls };
}

describe('retryWithBackoff', () => {
  it('answers with the first attempt that does not throw', async () => {
    const { attempt, calls } = flaky(3);
    await expect(retryWithBackoff(attempt, { attempts: 5, firstDelayMs: 1 })).resolves.toBe('answer');
    expect(calls).toHaveLength(4);
  });

  it('throws the last error once the attempts are used up', async () => {
    const { attempt, calls } = flaky(10);
    await expect(retryWithBackoff(attempt, { attempts: 3, firstDelayMs: 1 })).rejects.toThrow('failure 3');
    expect(calls).toHaveLength(3);
  });

  it('doubles the wait after each failure, up to the longest', async () => {
    const { attempt, calls } = flaky(4);
    await retryWithBackoff(attempt, { attempts: 5, firstDelayMs: 20, maxDelayMs: 50 });
    const waits = calls.slice(1).map((at, i) => at - (calls[i] ?? at));
    // Timers never fire early (a millisecond of rounding aside); a loaded machine only makes them later.
    expect(waits[0]).toBeGreaterThanOrEqual(19);
    expect(waits[1]).toBeGreaterThanOrEqual(39);
    expect(waits[2]).toBeGreaterThanOrEqual(49);
    expect(waits[3]).toBeGreaterThanOrEqual(49);
    expect(waits[3]).toBeLessThan(waits[1]! + 200);
  });

  it('gives up once the time is used up, with the last error', async () => {
    const { attempt, calls } = flaky(Infinity);
    const started = Date.now();
    const failure = retryWithBackoff(attempt, { timeoutMs: 120, firstDelayMs: 10, maxDelayMs: 30 });
    await expect(failure).rejects.toThrow(/^failure \d+$/);
    await failure.catch((error: Error) => expect(error.message).toBe(`failure ${calls.length}`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(calls.length).toBeGreaterThan(2);
    await expect(retryWithBackoff(attempt, { timeoutMs: 0 })).rejects.toThrow(/^failure \d+$/);
  });

  it('tells the attempt how much time is left', async () => {
    const left: number[] = [];
    await retryWithBackoff(
      async (msLeft) => {
        left.push(msLeft);
        if (left.length < 3) throw new Error('not yet');
      },
      { timeoutMs: 1_000, firstDelayMs: 10 },
    );
    expect(left[0]).toBeLessThanOrEqual(1_000);
    expect(left[2]).toBeLessThan(left[0]!);
    await retryWithBackoff(async (msLeft) => expect(msLeft).toBe(Infinity), { attempts: 1 });
  });

  it('throws at once an error that retryIf says no attempt can cure', async () => {
    class Hopeless extends Error {}
    const { attempt, calls } = flaky(10, (n) => (n === 2 ? new Hopeless('hopeless') : new Error(`failure ${n}`)));
    await expect(retryWithBackoff(attempt, { attempts: 10, firstDelayMs: 1, retryIf: (e) => !(e instanceof Hopeless) })).rejects.toThrow(Hopeless);
    expect(calls).toHaveLength(2);
  });
});
