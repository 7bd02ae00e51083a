import type Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Logger } from '../../api/types.js';
import { HISTORY_STEPS } from './migrations.js';
import { openSqlite, statementCache } from '../sqlite.js';

/** One value of a series at a sample: a bare number, or one per label set (e.g. per host). */
export type SampleValue = number | null | undefined | Array<{ labels: Record<string, string>; value: number | null | undefined }>;

export interface SeriesSpec {
  /** `[a-z][a-z0-9_]{0,63}`, unique within the plugin: the series key is `<plugin>.<name>{labels}`. */
  name: string;
  help?: string;
  unit?: string;
  /** Read every resolution step (5 s); null/undefined = no point this time (a gap, not a zero). */
  sample(): SampleValue;
}

export interface HistoryPoint { t: number; v: number; min?: number; max?: number }
export interface HistoryMark { t: number; plugin: string; kind: string; text: string }
export interface SeriesInfo { key: string; plugin: string; name: string; labels: Record<string, string>; unit: string; help: string }

export interface HistoryOptions {
  /** Resolution of the raw series (default 5 s). */
  stepMs?: number;
  /** How long raw points are kept (default 24 h); older ones are folded into `coarseMs` averages. */
  rawKeepMs?: number;
  coarseMs?: number;
  /** How long the coarse points are kept (default 30 days). */
  coarseKeepMs?: number;
  /** Most label sets one series may have (a bound on what a plugin can make the kernel store). */
  maxLabelSets?: number;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const labelKey = (l: Record<string, string>) => Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',');

/**
 * Bounded time series of what plugins declare (and the kernel's own), kept in SQLite (better-sqlite3, WAL) in the data
 * dir so a restart keeps them: raw points at 5 s for 24 h, then 5-minute averages (with min and max) for 30 days.
 * Sampling and writing run on a timer, in one transaction per step, never on a request's path.
 */
export class HistoryStore {
  private readonly db: Database.Database;
  private readonly specs = new Map<string, { plugin: string; spec: SeriesSpec }>();
  private readonly ids = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private lastFold = 0;
  readonly stepMs: number;
  private readonly rawKeepMs: number;
  private readonly coarseMs: number;
  private readonly coarseKeepMs: number;
  private readonly maxLabelSets: number;
  private readonly insertPoint: Database.Statement;
  private readonly sql: (text: string) => Database.Statement;
  private readonly insertMark: Database.Statement;

  constructor(dataDir: string, private readonly log: Logger, o: HistoryOptions = {}) {
    this.stepMs = o.stepMs ?? 5_000;
    this.rawKeepMs = o.rawKeepMs ?? 24 * 3600_000;
    this.coarseMs = o.coarseMs ?? 5 * 60_000;
    this.coarseKeepMs = o.coarseKeepMs ?? 30 * 24 * 3600_000;
    this.maxLabelSets = o.maxLabelSets ?? 64;
    this.db = openSqlite(join(dataDir, 'history.sqlite'), HISTORY_STEPS);
    this.sql = statementCache(this.db);
    this.insertPoint = this.db.prepare('INSERT OR REPLACE INTO points (series, t, v) VALUES (?, ?, ?)');
    this.insertMark = this.db.prepare('INSERT INTO marks (t, plugin, kind, text) VALUES (?, ?, ?, ?)');
    for (const row of this.db.prepare('SELECT id, key FROM series').all() as Array<{ id: number; key: string }>) this.ids.set(row.key, row.id);
  }

  /** A plugin's (or the kernel's) series; replaces an earlier declaration of the same name (a restarted plugin). */
  declare(plugin: string, spec: SeriesSpec): () => void {
    if (!NAME.test(spec.name)) throw new Error(`series name must match ${NAME}: ${spec.name}`);
    const id = `${plugin}.${spec.name}`;
    this.specs.set(id, { plugin, spec });
    return () => { if (this.specs.get(id)?.spec === spec) this.specs.delete(id); };
  }

  /** An event to draw on the time axis (a swap, a load). */
  mark(plugin: string, kind: string, text: string, t = Date.now()): void {
    this.insertMark.run(t, plugin, kind.slice(0, 64), text.slice(0, 300));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.step(), this.stepMs);
    this.timer.unref();
  }

  /** Samples every series once and writes the points in one transaction; folds old points now and then. */
  step(now = Date.now()): void {
    const t = Math.floor(now / this.stepMs) * this.stepMs;
    const rows: Array<[number, number, number]> = [];
    for (const [id, { plugin, spec }] of this.specs) {
      let value: SampleValue;
      try { value = spec.sample(); } catch (e) {
        this.log.warn('a history series failed to sample', { plugin, series: spec.name, error: (e as Error).message });
        continue;
      }
      const sets = Array.isArray(value) ? value.slice(0, this.maxLabelSets) : [{ labels: {}, value }];
      for (const { labels, value: v } of sets) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        rows.push([this.seriesId(id, plugin, spec, labels), t, v]);
      }
    }
    this.db.transaction(() => { for (const r of rows) this.insertPoint.run(...r); })();
    if (now - this.lastFold >= this.coarseMs) {
      this.lastFold = now;
      this.fold(now);
    }
  }

  /** Raw points older than the raw window become coarse averages; coarse points past their window go. */
  fold(now = Date.now()): void {
    const rawCut = now - this.rawKeepMs;
    this.db.transaction(() => {
      this.sql(`INSERT OR REPLACE INTO coarse (series, t, v, min, max)
        SELECT series, t - (t % ?) AS b, avg(v), min(v), max(v) FROM points WHERE t < ? GROUP BY series, b`).run(this.coarseMs, rawCut);
      this.sql('DELETE FROM points WHERE t < ?').run(rawCut);
      this.sql('DELETE FROM coarse WHERE t < ?').run(now - this.coarseKeepMs);
      this.sql('DELETE FROM marks WHERE t < ?').run(now - this.coarseKeepMs);
    })();
  }

  list(): SeriesInfo[] {
    const rows = this.sql('SELECT key, plugin, name, labels, unit, help FROM series ORDER BY key').all() as Array<{ key: string; plugin: string; name: string; labels: string; unit: string; help: string }>;
    return rows.map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string> }));
  }

  /** Points of every label set of `<plugin>.<name>` in [from, to]: raw where the range lies in the raw window,
   *  coarse before it, thinned to at most `maxPoints` per set by averaging neighbours. */
  range(series: string, from: number, to: number, maxPoints = 1_000): Array<{ key: string; labels: Record<string, string>; unit: string; points: HistoryPoint[] }> {
    const sets = this.sql("SELECT id, key, labels, unit FROM series WHERE key = ? OR key LIKE ? ESCAPE '\\' ORDER BY key").all(series, `${series.replace(/[\\%_]/g, (c) => `\\${c}`)}{%`) as Array<{ id: number; key: string; labels: string; unit: string }>;
    const rawFrom = Date.now() - this.rawKeepMs;
    const bucket = Math.max(this.stepMs, Math.ceil((to - from) / maxPoints / this.stepMs) * this.stepMs);
    return sets.map((s) => {
      // `t - t % step` is the bucket (SQLite's % works on integers; better-sqlite3 binds numbers as REAL, so t / ? would not).
      const coarse = from < rawFrom
        ? this.sql('SELECT t - (t % ?) AS b, avg(v) AS v, min(min) AS min, max(max) AS max FROM coarse WHERE series = ? AND t >= ? AND t < ? GROUP BY b ORDER BY b').all(Math.max(bucket, this.coarseMs), s.id, from, Math.min(to, rawFrom)) as Array<HistoryPoint & { b: number }>
        : [];
      const raw = this.sql('SELECT t - (t % ?) AS b, avg(v) AS v, min(v) AS min, max(v) AS max FROM points WHERE series = ? AND t >= ? AND t <= ? GROUP BY b ORDER BY b').all(bucket, s.id, Math.max(from, rawFrom), to) as Array<HistoryPoint & { b: number }>;
      const points = [...coarse, ...raw].map(({ b, v, min, max }) => (min === max ? { t: b, v } : { t: b, v, min, max }));
      return { key: s.key, labels: JSON.parse(s.labels) as Record<string, string>, unit: s.unit, points };
    });
  }

  marks(from: number, to: number, plugin?: string): HistoryMark[] {
    return (plugin
      ? this.sql('SELECT t, plugin, kind, text FROM marks WHERE t >= ? AND t <= ? AND plugin = ? ORDER BY t LIMIT 1000').all(from, to, plugin)
      : this.sql('SELECT t, plugin, kind, text FROM marks WHERE t >= ? AND t <= ? ORDER BY t LIMIT 1000').all(from, to)) as HistoryMark[];
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.db.open) this.db.close();
  }

  private seriesId(id: string, plugin: string, spec: SeriesSpec, labels: Record<string, string>): number {
    const lk = labelKey(labels);
    const key = lk ? `${id}{${lk}}` : id;
    let n = this.ids.get(key);
    if (n === undefined) {
      const r = this.sql('INSERT INTO series (key, plugin, name, labels, unit, help) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET unit = excluded.unit, help = excluded.help RETURNING id')
        .get(key, plugin, spec.name, JSON.stringify(labels), spec.unit ?? '', spec.help ?? '') as { id: number };
      n = r.id;
      this.ids.set(key, n);
    }
    return n;
  }
}
