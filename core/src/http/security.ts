import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { SparkError } from '../api/errors.js';
import type { Sessions } from './sessions.js';
import type { Clients, IdentifiedClient } from '../services/clients/Clients.js';
import { bearerOf, sameSecret } from '../services/clients/bearer.js';

// Each guard is a plain function over the request's method, path and headers; the request pipeline (RequestPipeline)
// runs them once for every request, whatever answers it.

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const SESSION_COOKIE = 'spark_session';

/** Same-origin guard for every state-changing request. Browsers always send Origin or Sec-Fetch-Site on
 *  cross-site requests (form posts, fetch, `text/plain` tricks); non-browser clients (curl, SDKs) send neither. */
export function checkSameOrigin(method: string, headers: IncomingHttpHeaders): void {
  if (!UNSAFE.has(method)) return;
  const site = headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new SparkError('SPK_CSRF', 'cross-site request refused', { status: 403 });
  }
  const origin = headers.origin;
  if (origin) {
    let u: URL | undefined;
    try { u = new URL(origin); } catch { u = undefined; }
    // Same origin is scheme + host + port: an https:// page is another origin than this http listener, unless a TLS
    // proxy in front of it (StartOS) says the request came over https (a cross-site page cannot set that header).
    if (!u || u.host !== (headers.host ?? '') || !schemeMatches(u.protocol, headers)) throw new SparkError('SPK_CSRF', 'cross-origin request refused', { status: 403 });
  }
}

/** The Origin's scheme is the request's: http, or what X-Forwarded-Proto says (its first value) when a proxy
 *  terminated TLS. `SPARK_TLS_PROXY=1` (the StartOS package): a proxy in front serves both https and http addresses
 *  without saying which one a request came through, so either scheme is this server's. */
function schemeMatches(protocol: string, headers: IncomingHttpHeaders): boolean {
  const p = headers['x-forwarded-proto'];
  const first = (Array.isArray(p) ? p[0] : p)?.split(',')[0].trim().toLowerCase();
  if (first) return protocol === (first === 'https' ? 'https:' : 'http:');
  return protocol === 'http:' || (protocol === 'https:' && process.env.SPARK_TLS_PROXY === '1');
}

/** The Set-Cookie value that logs the browser in (`value`) or out (no value). */
export function sessionCookie(value?: string): string {
  return value
    ? `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`
    : `${SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict`;
}

/** Paths reachable without the token when auth is on: liveness and what the login page needs. */
const OPEN = new Set(['/health', '/login.html', '/login.js', '/login.css', '/theme.css', '/api/login', '/favicon.svg']);

export function sessionIdOf(headers: IncomingHttpHeaders): string | undefined {
  return cookieValue(headers.cookie, SESSION_COOKIE);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The bearer token, or a session cookie the server still holds. */
export function isAuthenticated(headers: IncomingHttpHeaders, token: string, sessions: Sessions | undefined): boolean {
  const bearer = bearerOf(headers);
  if (bearer !== undefined && sameSecret(bearer, token)) return true;
  return !!sessions?.valid(cookieValue(headers.cookie, SESSION_COOKIE));
}

/** Who sent this request (see Clients.identify): API clients send `Authorization: Bearer` (a client's key or the
 *  configured token), the browser UI an HttpOnly session cookie from the login page. With no token configured an
 *  unkeyed request is an anonymous client allowed everything (trusted LAN). Throws 401. */
export function identifyRequest(clients: Clients, token: string | undefined, path: string, req: IncomingMessage, res: ServerResponse, sessions?: Sessions): IdentifiedClient {
  try {
    return clients.identify({ req, token, hasSession: !!sessions?.valid(cookieValue(req.headers.cookie, SESSION_COOKIE)), open: OPEN.has(path) });
  } catch (err) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="spark-control"');
    throw err;
  }
}

/** Baseline headers for every response, as name/value pairs; the dashboard page adds its CSP with the import-map hash. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];


