import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { SparkError } from '../api/errors.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const SESSION_COOKIE = 'spark_session';

/** Same-origin guard for every state-changing request. Browsers always send Origin or Sec-Fetch-Site on
 *  cross-site requests (form posts, fetch, `text/plain` tricks); non-browser clients (curl, SDKs) send neither. */
export function csrfGuard(): Middleware {
  return async (ctx, next) => {
    if (UNSAFE.has(ctx.method)) {
      const site = ctx.get('sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none') {
        throw new SparkError('SPK_CSRF', 'cross-site request refused', { status: 403 });
      }
      const origin = ctx.get('origin');
      if (origin) {
        let host: string | undefined;
        try { host = new URL(origin).host; } catch { host = undefined; }
        if (!host || host !== ctx.host) throw new SparkError('SPK_CSRF', 'cross-origin request refused', { status: 403 });
      }
    }
    await next();
  };
}

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('spark-control-session-v1').digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Paths reachable without the token when auth is on: liveness and what the login page needs. */
const OPEN = new Set(['/health', '/login.html', '/login.js', '/login.css', '/theme.css', '/api/login', '/favicon.svg']);

/** Optional bearer token (config `auth.token`): API clients send `Authorization: Bearer`, the browser UI gets an
 *  HttpOnly cookie from the login page. Off when no token is configured (LAN trust model). */
export function authGuard(getToken: () => string | undefined): Middleware {
  return async (ctx, next) => {
    const token = getToken();
    if (!token || OPEN.has(ctx.path)) return next();
    if (isAuthenticated(ctx, token)) return next();
    if (ctx.method === 'GET' && (ctx.path === '/' || ctx.path === '/index.html') && ctx.accepts('html')) {
      ctx.redirect('/login.html');
      return;
    }
    ctx.set('WWW-Authenticate', 'Bearer realm="spark-control"');
    throw new SparkError('SPK_UNAUTHORIZED', 'a valid bearer token is required', { status: 401 });
  };
}

export function isAuthenticated(ctx: Context, token: string): boolean {
  const h = ctx.get('authorization');
  if (h.startsWith('Bearer ') && safeEqual(h.slice(7).trim(), token)) return true;
  const c = ctx.cookies.get(SESSION_COOKIE);
  return !!c && safeEqual(c, sessionValue(token));
}

/** Baseline headers for every response; the dashboard page adds its CSP with the import-map hash. */
export function securityHeaders(): Middleware {
  // Straight on the ServerResponse: nothing is sent this early, and Koa's set() only adds a delegate hop and checks.
  return async (ctx, next) => {
    const res = ctx.res;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    await next();
  };
}
