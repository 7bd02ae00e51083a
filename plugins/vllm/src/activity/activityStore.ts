import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';

/** One proxied /v1 request. Tokens and TTFT are null when the answer did not say (no `usage`, not a stream). */
export interface ActivityEntry {
  /** `client` is the client's name (RequestClient.name); `clientId` its stable id (null on rows from before it was kept). */
  at: number; client: string; clientId?: string | null; method: string; path: string; model: string | null; status: number;
  durationMs: number; ttftMs: number | null; tokensIn: number | null; tokensOut: number | null; stream: boolean;
}
/** `client` matches a client's id or its name. */
export interface ActivityFilter { model?: string; status?: number; since?: number; client?: string; limit: number }

/** The last `maxRows` proxied requests in SQLite. `record` only queues: rows are written in one transaction per
 *  `flushMs`, off the request path, and the oldest beyond the bound are deleted in the same transaction. */
export class ActivityStore {
  private readonly db: Database.Database;
  private pending: ActivityEntry[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;

  constructor(dir: string, readonly maxRows = 10_000, flushMs = 1000) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(`${dir}/activity.sqlite`);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, client TEXT NOT NULL,
      method TEXT NOT NULL, path TEXT NOT NULL, model TEXT, status INTEGER NOT NULL, duration_ms INTEGER NOT NULL, ttft_ms INTEGER,
      tokens_in INTEGER, tokens_out INTEGER, stream INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS requests_at ON requests (at);`);
    // A table written before clients had ids gains the column; its old rows keep null.
    const columns = this.db.prepare('PRAGMA table_info(requests)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'client_id')) this.db.exec('ALTER TABLE requests ADD COLUMN client_id TEXT');
    this.insert = this.db.prepare('INSERT INTO requests (at, client, client_id, method, path, model, status, duration_ms, ttft_ms, tokens_in, tokens_out, stream) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.prune = this.db.prepare('DELETE FROM requests WHERE id <= (SELECT MAX(id) FROM requests) - ?');
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  record(e: ActivityEntry): void {
    this.pending.push(e);
    // A burst larger than the table's bound is cut here already, so memory stays bounded between flushes too.
    if (this.pending.length > this.maxRows) this.pending.splice(0, this.pending.length - this.maxRows);
  }

  flush(): void {
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const e of rows) this.insert.run(e.at, e.client, e.clientId ?? null, e.method, e.path, e.model, e.status, e.durationMs, e.ttftMs, e.tokensIn, e.tokensOut, e.stream ? 1 : 0);
      this.prune.run(this.maxRows);
    })();
  }

  /** Newest first. */
  query(f: ActivityFilter): { entries: ActivityEntry[]; total: number } {
    this.flush();
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.model !== undefined) { where.push('model = ?'); args.push(f.model); }
    if (f.status !== undefined) { where.push('status = ?'); args.push(f.status); }
    if (f.since !== undefined) { where.push('at >= ?'); args.push(f.since); }
    if (f.client !== undefined) { where.push('(client_id = ? OR client = ?)'); args.push(f.client, f.client); }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db.prepare(`SELECT at, client, client_id AS clientId, method, path, model, status, duration_ms AS durationMs, ttft_ms AS ttftMs, tokens_in AS tokensIn, tokens_out AS tokensOut, stream FROM requests ${w} ORDER BY id DESC LIMIT ?`).all(...args, f.limit) as Array<Omit<ActivityEntry, 'stream'> & { stream: number }>;
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
    return { entries: rows.map((r) => ({ ...r, stream: !!r.stream })), total };
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }
}
