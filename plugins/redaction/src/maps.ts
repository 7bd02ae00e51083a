import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
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

/** Maps live server-side under an unguessable handle, encrypted at rest (AES-256-GCM, key file 0600), so a
 *  restart loses nothing and a copy of the data dir without the key reveals nothing. File names are hashes of the
 *  handle, so the handle itself is not on disk either. */
export class MapStore {
  private readonly dir: string;
  private readonly key: Buffer;
  private readonly cache = new Map<string, RedactionMap>();

  constructor(dataDir: string, private readonly ttlMs: number) {
    this.dir = join(dataDir, 'maps');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dataDir, 'maps.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    this.key = readFileSync(keyFile);
  }

  private file(handle: string) {
    return join(this.dir, createHash('sha256').update(handle).digest('hex') + '.bin');
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
      const f = this.file(handle);
      if (!existsSync(f)) return undefined;
      try {
        const buf = readFileSync(f);
        const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, 12));
        d.setAuthTag(buf.subarray(12, 28));
        m = JSON.parse(Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8')) as RedactionMap;
      } catch {
        return undefined;
      }
    }
    if (Date.parse(m.expiresAt) <= Date.now()) {
      this.delete(handle);
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

  save(m: RedactionMap): void {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(m), 'utf8'), c.final()]);
    const f = this.file(m.handle);
    writeFileSync(`${f}.tmp`, Buffer.concat([iv, c.getAuthTag(), body]), { mode: 0o600 });
    renameSync(`${f}.tmp`, f);
    this.cache.set(m.handle, m);
  }

  delete(handle: string): void {
    this.cache.delete(handle);
    rmSync(this.file(handle), { force: true });
  }

  count(): number {
    return readdirSync(this.dir).filter((f) => f.endsWith('.bin')).length;
  }

  /** Remove expired maps (scheduled). */
  sweep(): number {
    let n = 0;
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.bin')) continue;
      try {
        const buf = readFileSync(join(this.dir, f));
        const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, 12));
        d.setAuthTag(buf.subarray(12, 28));
        const m = JSON.parse(Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8')) as RedactionMap;
        if (Date.parse(m.expiresAt) <= Date.now()) { this.delete(m.handle); n++; }
      } catch { /* unreadable: leave it */ }
    }
    return n;
  }
}
