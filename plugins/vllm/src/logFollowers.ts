import { SparkError } from '@spark-control/plugin-api';

/** Each follower is a remote `docker logs -f` (and its SSH channel) for as long as the client listens. */
export const LOG_FOLLOWERS_PER_CLIENT = 4;
export const LOG_FOLLOWERS_TOTAL = 16;

/** Counts open log followers per client address and in all; `take` refuses with 429 past either cap. */
export class LogFollowerSlots {
  private readonly byClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly perClient = LOG_FOLLOWERS_PER_CLIENT, private readonly max = LOG_FOLLOWERS_TOTAL) {}

  /** A release function, safe to call more than once. */
  take(client: string): () => void {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.perClient || this.total >= this.max) {
      const which = mine >= this.perClient ? `${this.perClient} per client` : `${this.max} in all`;
      throw new SparkError('VLLM_TOO_MANY_LOG_FOLLOWERS', `too many log followers open (at most ${which}); close one first`, { status: 429, retryAfter: 5 });
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
}
