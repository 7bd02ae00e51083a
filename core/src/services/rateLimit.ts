import { SparkError } from '../api/errors.js';
import { codes } from '../api/codes.js';

/**
 * Counts failed guesses (a wrong token, a wrong password) per key within a sliding window; once `max` failures are
 * in the window, `check` answers 429 with Retry-After until the oldest of them leaves it. Successes do not reset
 * the count (a guesser who also knows one valid value gains nothing). Keys are bounded so spraying keys costs memory
 * only up to `maxKeys`.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly what: string, private readonly max: number, private readonly windowMs: number, private readonly maxKeys = 10_000) {}

  /** Throws 429 while `key` is over its limit. */
  check(key: string): void {
    const times = this.recent(key);
    if (times.length < this.max) return;
    const retryAfter = Math.max(1, Math.ceil((times[0] + this.windowMs - Date.now()) / 1000));
    throw new SparkError(codes.RATE_LIMITED, `too many failed ${this.what}; try again in ${retryAfter} s`, { status: 429, retryAfter, expose: true });
  }

  fail(key: string): void {
    const times = this.recent(key);
    times.push(Date.now());
    if (!this.failures.has(key)) {
      if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
      this.failures.set(key, times);
    }
  }

  private recent(key: string): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const since = Date.now() - this.windowMs;
    while (times.length && times[0] <= since) times.shift();
    if (!times.length) this.failures.delete(key);
    return times;
  }
}
