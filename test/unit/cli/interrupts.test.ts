// The CLI's signal handling: what the first, second and third SIGINT/SIGTERM do to the command.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ABORT_GRACE_MS, FIRST_INTERRUPT, SECOND_INTERRUPT, withInterrupts } from '../../../src/cli/interrupts.js';
import type { Interrupt } from '../../../src/engine/interrupt.js';

function setup(): { signals: EventEmitter; exit: ReturnType<typeof vi.fn<(code: number) => void>>; stderr: string[]; output: { out: () => void; err: (text: string) => void } } {
  const stderr: string[] = [];
  return { signals: new EventEmitter(), exit: vi.fn<(code: number) => void>(), stderr, output: { out: () => undefined, err: (text) => stderr.push(text) } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('withInterrupts', () => {
  it('asks the command to finish at the first signal, to abort at the second, and exits 130 at the third', async () => {
    const { signals, exit, stderr, output } = setup();
    const seen: string[] = [];
    await withInterrupts(output, async (interrupt: Interrupt) => {
      signals.emit('SIGINT');
      seen.push(`stop=${interrupt.stop.aborted} abort=${interrupt.abort.aborted}`);
      signals.emit('SIGTERM');
      seen.push(`stop=${interrupt.stop.aborted} abort=${interrupt.abort.aborted}`);
      expect(exit).not.toHaveBeenCalled();
      signals.emit('SIGINT');
    }, { signals: signals as unknown as NodeJS.Process, exit });
    expect(seen).toEqual(['stop=true abort=false', 'stop=true abort=true']);
    expect(stderr).toEqual([FIRST_INTERRUPT, SECOND_INTERRUPT]);
    expect(stderr[0]).toBe('interrupted: finishing the running steps (Ctrl-C again to abort now)');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('exits 130 when an aborted command has not ended within the grace time', async () => {
    vi.useFakeTimers();
    const { signals, exit, output } = setup();
    let release: () => void = () => undefined;
    const running = withInterrupts(output, () => new Promise<void>((resolve) => {
      release = resolve;
    }), { signals: signals as unknown as NodeJS.Process, exit });
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    vi.advanceTimersByTime(ABORT_GRACE_MS - 1);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(130);
    release();
    await running;
  });

  it('listens only while the command runs, and gives back what it returns', async () => {
    const { signals, exit, output } = setup();
    const result = await withInterrupts(output, async () => {
      expect(signals.listenerCount('SIGINT')).toBe(1);
      expect(signals.listenerCount('SIGTERM')).toBe(1);
      return 7;
    }, { signals: signals as unknown as NodeJS.Process, exit });
    expect(result).toBe(7);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });
});
