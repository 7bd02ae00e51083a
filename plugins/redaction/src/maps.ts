import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonStore, PluginContext } from '@spark-control/plugin-api';
import { valueKey } from './fold.js';

export interface RedactionMap {
  handle: string;
  createdAt: string;
  expiresAt: string;
  /** placeholder → original value */
  values: Record<string, string>;
  /** value key → placeholder (stable numbering) */
  index: Record<string, string>;
  counters: Record<string, number>;
}

/** Version of a map file's data; version 0 is a map written before ctx.store (the same fields, no envelope). */
const MAP_VERSION = 1;

/** Maps live server-side under an unguessable handle, encrypted at rest (AES-256-GCM, key file 0600), so a
 *  restart loses nothing and a copy of the data dir without the key reveals nothing. File names are hashes of the
 *  handle, so the handle itself is not on disk either. Each map is one `ctx.store` file (atomic, versioned) whose
 *  codec encrypts it. */
export class MapStore {
  private readonly dir: string;
  private readonly key: Buffer;
  private readonly cache = new Map<string, RedactionMap>();
  private readonly codec: { encode(text: string): Buffer; decode(raw: Buffer): string };

  constructor(private readonly ctx: Pick<PluginContext, 'store' | 'dataDir'>, private readonly ttlMs: number) {
    this.dir = join(ctx.dataDir, 'maps');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const keyFile = join(ctx.dataDir, 'maps.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    this.key = readFileSync(keyFile);
    const key = this.key;
    this.codec = {
      encode(text) {
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key, iv);
        const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
        return Buffer.concat([iv, c.getAuthTag(), body]);
      },
      decode(buf) {
        const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
        d.setAuthTag(buf.subarray(12, 28));
        return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
      },
    };
  }

  /** The store of one map file, by the hash its file is named after. */
  private fileStore(hash: string): JsonStore<RedactionMap> {
    return this.ctx.store<RedactionMap>(`maps/${hash}`, { version: MAP_VERSION, extension: '.bin', codec: this.codec, migrate: (old) => old as RedactionMap });
  }

  private storeOf(handle: string): JsonStore<RedactionMap> {
    return this.fileStore(createHash('sha256').update(handle).digest('hex'));
  }

  create(): RedactionMap {
    const now = Date.now();
    return { handle: `map_${randomBytes(24).toString('base64url')}`, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + this.ttlMs).toISOString(), values: {}, index: {}, counters: {} };
  }

  /** undefined = never existed; 'expired' = existed but past expiry (then deleted). */
  get(handle: string): RedactionMap | 'expired' | undefined {
    if (!/^map_[A-Za-z0-9_-]{32}$/.test(handle)) return undefined;
    let m = this.cache.get(handle);
    if (!m) {
      try {
        m = this.storeOf(handle).read();
      } catch {
        return undefined;
      }
      if (!m) return undefined;
    }
    if (Date.parse(m.expiresAt) <= Date.now()) {
      void this.delete(handle);
      return 'expired';
    }
    this.cache.set(handle, m);
    return m;
  }

  /** Same value → same placeholder within a map. `aliasOf` lets a name part reuse the full name's placeholder (and
   *  restores the full name); `sameAs` is a normalised form for matching only (a phone's E.164), never restored. */
  placeholder(m: RedactionMap, kind: string, value: string, aliasOf?: string, sameAs?: string): string {
    const k = valueKey(kind, sameAs ?? value);
    const existing = m.index[k] ?? (aliasOf ? m.index[valueKey(kind, aliasOf)] : undefined);
    if (existing) { m.index[k] = existing; return existing; }
    const n = (m.counters[kind] = (m.counters[kind] ?? 0) + 1);
    const ph = `[${kind}_${n}]`;
    m.index[k] = ph;
    if (aliasOf) m.index[valueKey(kind, aliasOf)] ??= ph;
    m.values[ph] = aliasOf ?? value;
    return ph;
  }

  /** Resolves once the map is on disk (atomically: a crash leaves the previous version of the map). */
  async save(m: RedactionMap): Promise<void> {
    this.cache.set(m.handle, m);
    await this.storeOf(m.handle).write(m);
  }

  async delete(handle: string): Promise<void> {
    this.cache.delete(handle);
    await this.storeOf(handle).remove().catch(() => {});
  }

  count(): number {
    return readdirSync(this.dir).filter((f) => f.endsWith('.bin')).length;
  }

  /** Remove expired maps (scheduled). */
  async sweep(): Promise<number> {
    let n = 0;
    for (const f of readdirSync(this.dir)) {
      const hash = /^([0-9a-f]{64})\.bin$/.exec(f)?.[1];
      if (!hash) continue;
      try {
        const m = this.fileStore(hash).read();
        if (m && Date.parse(m.expiresAt) <= Date.now()) { await this.delete(m.handle); n++; }
      } catch { /* unreadable: leave it */ }
    }
    return n;
  }
}
