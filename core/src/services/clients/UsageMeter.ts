import type Database from 'better-sqlite3';
import type { Logger } from '../../api/types.js';
import { statementCache } from '../sqlite.js';

export interface UsageRow { day: string; client: string; plugin: string; subject: string; counter: string; value: number }

export interface UsageQuery {
  /** Inclusive UTC days, `YYYY-MM-DD`. */
  from: string;
  to: string;
  client?: string;
  plugin?: string;
}

/** Writes that go into the usage batch's transaction. */
export interface BatchCompanion {
  /** Something waits to be written (a batch is written for it even with no usage). */
  waiting(): boolean;
  write(): void;
}

export interface UsageMeterOptions {
  /** A batch is written this often (default 1 s)… */
  flushMs?: number;
  /** …or as soon as this many distinct counters wait (default 512). */
  maxBatch?: number;
  now?: () => number;
}

const COUNTER = /^[a-z][a-z0-9_]{0,47}$/;
/** The counters the daily token limit adds up. */
export const DAILY_TOKEN_COUNTERS = ['prompt_tokens', 'completion_tokens'] as const;
const SEP = '\u0000';
export const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Per-client usage by day, client, plugin, subject and counter, summed in memory and written to clients.sqlite in
 * one transaction per batch on a timer — never on a request's path. A killed process loses at most the batch that
 * was waiting (≤ `flushMs` of counts); WAL keeps the file whole. Today's token totals per client stay in memory for
 * the daily limit.
 */
export class UsageMeter {
  private pending = new Map<string, number>();
  private day: string;
  private readonly today = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly upsert: Database.Statement;
  /** The four shapes of query(), compiled once each. */
  private readonly sql: (text: string) => Database.Statement;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly now: () => number;
  /** `alongside`: other writes that ride in each batch's transaction (the registry's last-used times). */
  constructor(private readonly db: Database.Database, private readonly log: Logger, private readonly alongside?: BatchCompanion, o: UsageMeterOptions = {}) {
    this.flushMs = o.flushMs ?? 1_000;
    this.maxBatch = o.maxBatch ?? 512;
    this.now = o.now ?? Date.now;
    this.sql = statementCache(db);
    this.upsert = db.prepare(`INSERT INTO usage (day, client, plugin, subject, counter, value) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (day, client, plugin, subject, counter) DO UPDATE SET value = value + excluded.value`);
    this.day = utcDay(this.now());
    this.loadToday();
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Adds counts for one client; names that are not counter names and values that are not finite and > 0 are dropped (a zero adds nothing). */
  add(client: string, plugin: string, subject: string, counters: Record<string, number>): void {
    const day = this.rollDay();
    for (const [counter, value] of Object.entries(counters)) {
      if (!COUNTER.test(counter) || typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) continue;
      const k = `${day}${SEP}${client}${SEP}${plugin}${SEP}${subject.slice(0, 200)}${SEP}${counter}`;
      this.pending.set(k, (this.pending.get(k) ?? 0) + value);
      if ((DAILY_TOKEN_COUNTERS as readonly string[]).includes(counter)) this.today.set(client, (this.today.get(client) ?? 0) + value);
    }
    if (this.pending.size >= this.maxBatch) this.flush();
  }

  /** prompt + completion tokens this client was counted today (UTC), written or not. */
  tokensToday(client: string): number {
    this.rollDay();
    return this.today.get(client) ?? 0;
  }

  /** Writes what waits, in one transaction (also the registry's last-used times). */
  flush(): void {
    if (!this.pending.size && !this.alongside?.waiting()) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      this.db.transaction(() => {
        for (const [k, v] of batch) {
          const [day, client, plugin, subject, counter] = k.split(SEP);
          this.upsert.run(day, client, plugin, subject, counter, v);
        }
        this.alongside?.write();
      })();
    } catch (err) {
      // Kept for the next batch rather than lost (a full disk, a locked file).
      for (const [k, v] of batch) this.pending.set(k, (this.pending.get(k) ?? 0) + v);
      this.log.warn('usage batch not written; kept for the next one', { err: (err as Error).message, counters: batch.size });
    }
  }

  query(q: UsageQuery): UsageRow[] {
    const where = ['day >= ?', 'day <= ?'];
    const args: string[] = [q.from, q.to];
    if (q.client) { where.push('client = ?'); args.push(q.client); }
    if (q.plugin) { where.push('plugin = ?'); args.push(q.plugin); }
    this.flush();
    const text = `SELECT day, client, plugin, subject, counter, value FROM usage WHERE ${where.join(' AND ')} ORDER BY day, client, plugin, subject, counter LIMIT 100000`;
    return this.sql(text).all(...args) as UsageRow[];
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private rollDay(): string {
    const d = utcDay(this.now());
    if (d !== this.day) {
      this.day = d;
      this.today.clear();
    }
    return d;
  }

  private loadToday(): void {
    const rows = this.db.prepare(`SELECT client, SUM(value) AS v FROM usage WHERE day = ? AND counter IN (${DAILY_TOKEN_COUNTERS.map(() => '?').join(', ')}) GROUP BY client`).all(this.day, ...DAILY_TOKEN_COUNTERS) as Array<{ client: string; v: number }>;
    for (const r of rows) this.today.set(r.client, r.v);
  }
}
