// The lines a running command prints on stdout, handed to one reader as they arrive.
import { StringDecoder } from 'node:string_decoder';

export class OutputLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly ready: string[] = [];
  private ended = false;
  private waiting: ((line: string | null) => void) | undefined;

  push(chunk: Buffer): void {
    const parts = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.deliver(line);
  }

  /** No more output: a last line without its newline still counts, then `next` gives null. */
  end(): void {
    if (this.ended) return;
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.deliver(rest);
    this.ended = true;
    this.wake(null);
  }

  next(): Promise<string | null> {
    const line = this.ready.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(line: string): void {
    if (this.waiting === undefined) this.ready.push(line);
    else this.wake(line);
  }

  private wake(line: string | null): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(line);
  }
}
