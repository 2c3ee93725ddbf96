// Waits until an sshd answers with its banner, e.g. `await waitForSsh('10.210.1.11', 90_000)`.
import { connect } from 'node:net';
import { retryWithBackoff } from '../retry.js';

/** True once `SSH-` arrives from address:22 within the time given; false on timeout. */
export async function waitForSsh(address: string, timeoutMs: number, port = 22): Promise<boolean> {
  const banner = async (msLeft: number): Promise<void> => {
    if (!(await bannerArrives(address, port, Math.max(1, Math.min(5_000, msLeft))))) throw new Error(`no SSH banner from ${address}:${port}`);
  };
  return retryWithBackoff(banner, { timeoutMs, maxDelayMs: 1_000 }).then(
    () => true,
    () => false,
  );
}

function bannerArrives(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
