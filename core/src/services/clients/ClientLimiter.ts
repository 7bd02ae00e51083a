import type { ServerResponse } from 'node:http';
import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';
import type { ClientLimits } from './ClientRegistry.js';
import { type UsageMeter } from './UsageMeter.js';

const MINUTE = 60_000;

/**
 * A keyed client's limits, checked when one of its requests reaches a route: requests in flight, requests started in
 * any 60 s window, tokens counted today. Over one, a 429 with Retry-After (the route's own error envelope shapes it).
 * In memory: a restart forgets the in-flight count and the minute window (the daily tokens are in the database).
 */
export class ClientLimiter {
  private readonly inFlight = new Map<string, number>();
  /** Start times within the last minute, oldest first, at most `perMinute` of them. */
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly usage: UsageMeter, private readonly now: () => number = Date.now) {}

  /** Admits one request (and counts it in flight until `res` closes), or throws 429. */
  admit(clientId: string, limits: ClientLimits, res: ServerResponse): void {
    const t = this.now();
    if (limits.tokensPerDay !== undefined && this.usage.tokensToday(clientId) >= limits.tokensPerDay) {
      const midnight = Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), new Date(t).getUTCDate() + 1);
      throw over(codes.CLIENT_DAILY_TOKENS, `this client used its ${limits.tokensPerDay} tokens for today (UTC)`, Math.ceil((midnight - t) / 1000));
    }
    if (limits.concurrent !== undefined && (this.inFlight.get(clientId) ?? 0) >= limits.concurrent) {
      throw over(codes.CLIENT_CONCURRENCY, `this client already has ${limits.concurrent} requests in flight`, 1);
    }
    if (limits.perMinute !== undefined) {
      const list = this.starts.get(clientId) ?? [];
      while (list.length && list[0] <= t - MINUTE) list.shift();
      if (list.length >= limits.perMinute) {
        throw over(codes.CLIENT_PER_MINUTE, `this client started ${limits.perMinute} requests in the last minute`, Math.max(1, Math.ceil((list[0] + MINUTE - t) / 1000)));
      }
      list.push(t);
      this.starts.set(clientId, list);
    }
    if (limits.concurrent !== undefined) {
      this.inFlight.set(clientId, (this.inFlight.get(clientId) ?? 0) + 1);
      res.once('close', () => {
        const n = (this.inFlight.get(clientId) ?? 1) - 1;
        if (n > 0) this.inFlight.set(clientId, n); else this.inFlight.delete(clientId);
      });
    }
  }

  inFlightOf(clientId: string): number {
    return this.inFlight.get(clientId) ?? 0;
  }
}

function over(code: string, message: string, retryAfterSec: number): SparkError {
  return new SparkError(code, message, { status: 429, retryAfter: retryAfterSec });
}
