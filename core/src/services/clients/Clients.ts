import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import type { ClientScope, Logger, RequestClient } from '../../api/types.js';
import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';
import { ClientRegistry, looksLikeKey, type ClientLimits } from './ClientRegistry.js';
import { ClientLimiter } from './ClientLimiter.js';
import { UsageMeter, type UsageMeterOptions } from './UsageMeter.js';
import { openClientsDb } from './clientsDb.js';
import { requireScope, type ScopedRoute } from './scopes.js';
import { bearerOf, sameSecret } from './bearer.js';

/** A request client with the limits the kernel enforces (only clients with a key have any). */
export type IdentifiedClient = RequestClient & { limits?: ClientLimits };

const everything = () => true;
const fixed = (id: string, name: string, kind: RequestClient['kind'], scopes: ClientScope[]): IdentifiedClient =>
  Object.freeze({ id, name, kind, scopes, priority: 0, allows: everything });

/** The configured token: an admin key. */
export const TOKEN_CLIENT = fixed('admin', 'admin token', 'token', ['admin']);
/** A logged-in browser. */
export const SESSION_CLIENT = fixed('dashboard', 'dashboard', 'session', ['admin']);
/** What an Exchange holds before anyone identified its request: may call nothing. */
export const UNIDENTIFIED = fixed('anon:unidentified', 'unidentified', 'anonymous', []);

const LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,63}$/;
const anonymousCache = new Map<string, IdentifiedClient>();

/** A request without a key: named by its `X-Client-Name` header when that is a plain label, else by its address. */
function anonymous(req: IncomingMessage, scopes: ClientScope[]): IdentifiedClient {
  const h = req.headers['x-client-name'];
  const label = typeof h === 'string' && LABEL.test(h) ? h : (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  const k = `${scopes.join(',')}|${label}`;
  let c = anonymousCache.get(k);
  if (!c) {
    if (anonymousCache.size > 10_000) anonymousCache.clear();
    anonymousCache.set(k, (c = fixed(`anon:${label}`, label, 'anonymous', scopes)));
  }
  return c;
}

export interface IdentifyInput {
  req: IncomingMessage;
  /** `auth.token`: when set, a request without a key, the token or a session is refused (except `open` paths). */
  token: string | undefined;
  /** The request carries a session the server holds. */
  hasSession: boolean;
  /** A path answered without credentials (health, the login page). */
  open: boolean;
}

/**
 * Who sends each request (named clients with API keys, the admin token, dashboard sessions, anonymous labels), what
 * they may call (scopes), how much they may (limits), and what they used (usage by day) — kept in clients.sqlite.
 */
export class Clients {
  readonly db: Database.Database;
  readonly registry: ClientRegistry;
  readonly usage: UsageMeter;
  readonly limiter: ClientLimiter;

  constructor(dataDir: string, log: Logger, o: UsageMeterOptions = {}) {
    this.db = openClientsDb(dataDir);
    const now = o.now ?? Date.now;
    this.registry = new ClientRegistry(this.db, now);
    this.usage = new UsageMeter(this.db, log, this.registry.lastUsedWrites, o);
    this.limiter = new ClientLimiter(this.usage, now);
  }

  start(): void {
    this.usage.start();
  }

  close(): void {
    this.usage.close();
    this.db.close();
  }

  /** The request's client, or a 401. A key-shaped bearer that is unknown, revoked or expired is always refused (never
   *  served as anonymous); with no token configured, anything else is an anonymous client that may do everything,
   *  as before clients existed (the openai client always sends some bearer, often a placeholder). */
  identify(i: IdentifyInput): IdentifiedClient {
    const bearer = bearerOf(i.req.headers);
    if (bearer && looksLikeKey(bearer)) {
      const c = this.registry.byKey(bearer);
      if (c && c !== 'inactive') return c;
      if (!i.open) throw unauthorized(c === 'inactive' ? codes.CLIENT_KEY_INACTIVE : codes.UNAUTHORIZED, c === 'inactive' ? 'this API key was revoked or has expired' : 'unknown API key');
    }
    if (i.token && bearer && sameSecret(bearer, i.token)) return TOKEN_CLIENT;
    if (i.hasSession) return SESSION_CLIENT;
    if (!i.token) return anonymous(i.req, ['admin']);
    if (i.open) return anonymous(i.req, []);
    throw unauthorized(codes.UNAUTHORIZED, 'a valid bearer token is required');
  }

  /** Whether the request's bearer is a client's key accepted now (`active`), one that is not (`inactive`: revoked,
   *  expired, unknown), or no key at all. Decides which open streams a token change or a revocation closes; only
   *  looks, so it does not count as the key being used. */
  keyStateOf(headers: IncomingHttpHeaders): 'active' | 'inactive' | 'none' {
    const bearer = bearerOf(headers);
    if (!bearer || !looksLikeKey(bearer)) return 'none';
    const c = this.registry.find(bearer);
    return c && c !== 'inactive' ? 'active' : 'inactive';
  }

  /** The checks a route runs before its input is read: scope (403), then the client's limits (429); then a
   *  service (inference) request is counted. `unauthenticated` routes (health, login) are open to anyone who got past identify. */
  admit(client: IdentifiedClient, route: ScopedRoute, method: string, plugin: string, res: ServerResponse): void {
    requireScope(client, route, method);
    if (!route.unauthenticated && client.limits) this.limiter.admit(client.id, client.limits, res);
    // Service requests only: what the dashboard's tiles poll under /api/plugins/<id>/ is not someone using the GPU.
    if (plugin !== 'kernel' && route.scope === 'inference') this.usage.add(client.id, plugin, '', { requests: 1 });
  }
}

function unauthorized(code: string, message: string): SparkError {
  return new SparkError(code, message, { status: 401 });
}
