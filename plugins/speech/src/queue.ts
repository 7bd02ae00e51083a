import { SparkError } from '@spark-control/plugin-api';

/** At most `concurrency` requests in flight to one audio upstream (the GPU service crashes on overlap), a bounded
 *  FIFO behind it (503 + Retry-After when full), and waiters that leave (client gone) free their place. */
export class UpstreamQueue {
  private active = 0;
  private readonly waiting: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort: () => void }> = [];

  constructor(readonly service: string, private concurrency: number, private maxQueue: number) {}

  configure(concurrency: number, maxQueue: number): void {
    this.concurrency = concurrency;
    this.maxQueue = maxQueue;
  }

  get depth(): number { return this.waiting.length; }
  get inFlight(): number { return this.active; }

  /** A request whose client went away is aborted here at once, but the GPU service keeps working on it for a while:
   *  hold the slot for `cooldownMs` so the next request does not land on a still-busy upstream. */
  cooldownMs = 1500;

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    let aborted = false;
    try {
      return await fn();
    } catch (e) {
      aborted = !!signal?.aborted;
      throw e;
    } finally {
      if (aborted) setTimeout(() => this.release(), this.cooldownMs).unref();
      else this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < this.concurrency) { this.active++; return Promise.resolve(); }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(new SparkError('SPEECH_BUSY', `${this.service} is busy (${this.waiting.length} requests waiting)`, { status: 503, retryAfter: 10, details: { service: this.service } }));
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve, reject, signal,
        onAbort: () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new SparkError('SPK_ABORTED', 'client went away while queued', { status: 499 }));
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.active--;
    }
  }
}
