import type { ServerResponse } from 'node:http';

/** Counts proxied requests until their responses close, so a swap can let running chats finish before it stops the
 *  model (new requests already get 503 while a swap runs). */
export class InflightRequests {
  private count = 0;
  private readonly idle = new Set<() => void>();

  get size(): number { return this.count; }

  track(res: ServerResponse): void {
    res.once('close', this.hold());
  }

  /** Counts one request that is not a proxied response (another plugin's chat call) until the release is called. */
  hold(): () => void {
    this.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
      if (this.count === 0) for (const wake of [...this.idle]) wake();
    };
  }

  /** Waits until nothing is in flight, the time is up or the signal fires; resolves with how many are still open. */
  async drain(timeoutMs: number, signal: AbortSignal): Promise<number> {
    if (this.count > 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.idle.delete(done); signal.removeEventListener('abort', done); resolve(); };
        const timer = setTimeout(done, timeoutMs);
        this.idle.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    signal.throwIfAborted();
    return this.count;
  }
}
