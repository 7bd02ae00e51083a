import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClientScope, RequestClient } from '../../api/types.js';
import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';
import type { BatchCompanion } from './UsageMeter.js';

export interface ClientLimits {
  /** Requests of this client in flight at once. */
  concurrent?: number;
  /** Requests started in any 60 s window. */
  perMinute?: number;
  /** `prompt_tokens` + `completion_tokens` counted today (UTC). */
  tokensPerDay?: number;
}

/** A client as the API shows it (never its key or the key's hash). */
export interface ClientView {
  id: string;
  name: string;
  /** The first characters of its key, to tell keys apart (`spk_AbC1…`). */
  keyPrefix: string;
  scopes: ClientScope[];
  priority: number;
  limits: ClientLimits;
  /** Allow lists by name (e.g. which items of a plugin's kind it may use); a list that is absent allows everything. */
  allow: Record<string, string[]>;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** Not revoked and not expired: its key is accepted. */
  active: boolean;
}

export interface ClientInput {
  name: string;
  scopes: ClientScope[];
  priority?: number;
  limits?: ClientLimits;
  allow?: Record<string, string[]>;
  /** Epoch ms; null = never. */
  expiresAt?: number | null;
}

interface Row {
  id: string; name: string; key_hash: string | null; key_prefix: string; scopes: string; created_at: number;
  expires_at: number | null; revoked_at: number | null; last_used_at: number | null; priority: number; limits: string; allow: string;
}

interface Held {
  row: Row;
  client: RequestClient & { limits: ClientLimits };
}

const KEY_PREFIX = 'spk_';
/** Keys are 32 random bytes: a plain SHA-256 is a sufficient hash (nothing to brute-force, unlike a password). */
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Whether a bearer value is shaped like one of our keys (an unknown one is then refused, never treated as anonymous). */
export function looksLikeKey(bearer: string): boolean {
  return bearer.startsWith(KEY_PREFIX);
}

/**
 * The named clients and their keys, in clients.sqlite. All of them are held in memory (a home cluster has a handful)
 * so a request's key lookup is one hash and one Map read; every change writes through at once.
 */
export class ClientRegistry {
  private readonly byId = new Map<string, Held>();
  private readonly byHash = new Map<string, Held>();
  private readonly lastUsed = new Map<string, number>();
  private readonly insert: Database.Statement;
  private readonly updateRow: Database.Statement;
  private readonly touchRow: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly now: () => number = Date.now) {
    this.insert = db.prepare(`INSERT INTO clients (id, name, key_hash, key_prefix, scopes, created_at, expires_at, revoked_at, last_used_at, priority, limits, allow)
      VALUES (@id, @name, @key_hash, @key_prefix, @scopes, @created_at, @expires_at, @revoked_at, @last_used_at, @priority, @limits, @allow)`);
    this.updateRow = db.prepare(`UPDATE clients SET name = @name, scopes = @scopes, expires_at = @expires_at, revoked_at = @revoked_at,
      priority = @priority, limits = @limits, allow = @allow WHERE id = @id`);
    this.touchRow = db.prepare('UPDATE clients SET last_used_at = ? WHERE id = ?');
    for (const row of db.prepare('SELECT * FROM clients').all() as Row[]) this.hold(row);
  }

  list(): ClientView[] {
    return [...this.byId.values()].map((h) => this.view(h.row)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  get(id: string): ClientView | undefined {
    const h = this.byId.get(id);
    return h && this.view(h.row);
  }

  /** The client, or a 404 naming the id. */
  require(id: string): ClientView {
    return this.view(this.mustGet(id).row);
  }

  /** How many clients have a key that is accepted now. */
  activeCount(): number {
    let n = 0;
    for (const h of this.byId.values()) if (this.isActive(h.row)) n++;
    return n;
  }

  /** A new client and its key; the key is returned this once and only its hash is kept. */
  create(input: ClientInput): { client: ClientView; key: string } {
    this.refuseDuplicateName(input.name);
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const row: Row = {
      id: `c_${randomBytes(6).toString('hex')}`, name: input.name, key_hash: hashKey(key), key_prefix: key.slice(0, KEY_PREFIX.length + 6),
      scopes: JSON.stringify([...new Set(input.scopes)]), created_at: this.now(), expires_at: input.expiresAt ?? null, revoked_at: null,
      last_used_at: null, priority: input.priority ?? 0, limits: JSON.stringify(input.limits ?? {}), allow: JSON.stringify(input.allow ?? {}),
    };
    this.insert.run(row);
    this.hold(row);
    return { client: this.view(row), key };
  }

  /** Changes what is given; `limits` and `allow` replace the old ones whole. */
  update(id: string, patch: Partial<ClientInput>): ClientView {
    const h = this.mustGet(id);
    if (patch.name !== undefined && patch.name !== h.row.name) this.refuseDuplicateName(patch.name);
    const row: Row = {
      ...h.row,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.scopes !== undefined ? { scopes: JSON.stringify([...new Set(patch.scopes)]) } : {}),
      ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
      ...(patch.limits !== undefined ? { limits: JSON.stringify(patch.limits) } : {}),
      ...(patch.allow !== undefined ? { allow: JSON.stringify(patch.allow) } : {}),
      ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
    };
    this.updateRow.run(row);
    this.hold(row);
    return this.view(row);
  }

  /** Its key stops working at once; the client stays listed (its usage history keeps a name). */
  revoke(id: string): ClientView {
    const h = this.mustGet(id);
    if (h.row.revoked_at !== null) return this.view(h.row);
    const row = { ...h.row, revoked_at: this.now() };
    this.updateRow.run(row);
    this.hold(row);
    return this.view(row);
  }

  /** The client a key belongs to: `undefined` when unknown, `'inactive'` when revoked or expired. */
  find(key: string): (RequestClient & { limits: ClientLimits }) | 'inactive' | undefined {
    const h = this.byHash.get(hashKey(key));
    if (!h) return undefined;
    return this.isActive(h.row) ? h.client : 'inactive';
  }

  /** `find`, for a request the key is used on: an active client's last-used time moves (written with the next batch). */
  byKey(key: string): (RequestClient & { limits: ClientLimits }) | 'inactive' | undefined {
    const c = this.find(key);
    if (c && c !== 'inactive') this.lastUsed.set(c.id, this.now());
    return c;
  }

  /** The last-used times gathered since the previous batch, written in the usage meter's transaction. */
  readonly lastUsedWrites: BatchCompanion = {
    waiting: () => this.lastUsed.size > 0,
    write: () => {
      for (const [id, t] of this.lastUsed) {
        this.touchRow.run(t, id);
        const h = this.byId.get(id);
        if (h) h.row.last_used_at = t;
      }
      this.lastUsed.clear();
    },
  };

  nameOf(id: string): string | undefined {
    return this.byId.get(id)?.row.name;
  }

  private isActive(row: Row): boolean {
    return row.revoked_at === null && (row.expires_at === null || row.expires_at > this.now());
  }

  private mustGet(id: string): Held {
    const h = this.byId.get(id);
    if (!h) throw new SparkError(codes.NOT_FOUND, `no client ${id.slice(0, 64)}`, { status: 404, details: { errors: [{ field: 'id', message: 'no such client' }] } });
    return h;
  }

  private refuseDuplicateName(name: string): void {
    for (const h of this.byId.values()) {
      if (h.row.name === name && h.row.revoked_at === null) {
        throw new SparkError(codes.CLIENT_NAME_TAKEN, `a client named ${name} exists`, { status: 409, details: { errors: [{ field: 'name', message: 'already used by an active client' }] } });
      }
    }
  }

  private hold(row: Row): void {
    const old = this.byId.get(row.id);
    if (old?.row.key_hash) this.byHash.delete(old.row.key_hash);
    const allow = JSON.parse(row.allow) as Record<string, string[]>;
    const sets = new Map(Object.entries(allow).map(([k, v]) => [k, new Set(v)]));
    const held: Held = {
      row,
      client: {
        id: row.id, name: row.name, kind: 'key', scopes: JSON.parse(row.scopes) as ClientScope[], priority: row.priority,
        limits: JSON.parse(row.limits) as ClientLimits,
        allows: (list, item) => sets.get(list)?.has(item) ?? true,
      },
    };
    this.byId.set(row.id, held);
    if (row.key_hash) this.byHash.set(row.key_hash, held);
  }

  private view(row: Row): ClientView {
    return {
      id: row.id, name: row.name, keyPrefix: row.key_prefix, scopes: JSON.parse(row.scopes) as ClientScope[], priority: row.priority,
      limits: JSON.parse(row.limits) as ClientLimits, allow: JSON.parse(row.allow) as Record<string, string[]>,
      createdAt: iso(row.created_at)!, expiresAt: iso(row.expires_at), revokedAt: iso(row.revoked_at), lastUsedAt: iso(this.lastUsed.get(row.id) ?? row.last_used_at),
      active: this.isActive(row),
    };
  }
}
