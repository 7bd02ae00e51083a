import { SparkError } from './errors.js';

/** Counts long-lived things a client holds open (log followers, streams), per client address and in all; `take`
 *  refuses with a 429 carrying `code` past either cap. */
export class ClientSlots {
  private readonly byClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly code: string, private readonly what: string, private readonly perClient: number, private readonly max: number) {}

  /** A release function, safe to call more than once. */
  take(client: string): () => void {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.perClient || this.total >= this.max) {
      const which = mine >= this.perClient ? `${this.perClient} per client` : `${this.max} in all`;
      throw new SparkError(this.code, `too many ${this.what} open (at most ${which}); close one first`, { status: 429, retryAfter: 5 });
    }
    this.byClient.set(client, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.byClient.get(client) ?? 1) - 1;
      if (n > 0) this.byClient.set(client, n);
      else this.byClient.delete(client);
    };
  }

  get open(): number {
    return this.total;
  }
}
