import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security.js';
import { codes } from '../api/codes.js';

/**
 * Which Host header values this server answers (DNS rebinding: a page on evil.example whose name later resolves to
 * this machine is same-origin to the browser, so Origin checks alone cannot refuse it; only its Host shows it).
 * Allowed without configuration: no Host (HTTP/1.0 tools), IP literals (a rebinding always uses a name), localhost
 * and *.localhost, this machine's host name, *.local (mDNS, as StartOS's LAN address `<server>.local`) and *.onion
 * (Tor addresses are self-authenticating). More names: SPARK_ALLOWED_HOSTS, comma-separated, `name` exact or
 * `.domain` for it and every name under it.
 */
export class HostAllowList {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = ['.localhost', '.local', '.onion'];

  constructor(extra: readonly string[] = []) {
    this.exact.add('localhost');
    const me = hostname().toLowerCase();
    if (me) this.exact.add(me);
    for (const raw of extra) {
      const n = raw.trim().toLowerCase().replace(/\.$/, '');
      if (!n) continue;
      if (n.startsWith('.')) { this.suffixes.push(n); this.exact.add(n.slice(1)); } else this.exact.add(n);
    }
  }

  static fromEnv(value = process.env.SPARK_ALLOWED_HOSTS): HostAllowList {
    return new HostAllowList((value ?? '').split(','));
  }

  allows(host: string | undefined): boolean {
    if (host === undefined || host === '') return true;
    const name = hostOnly(host);
    if (name === undefined) return false;
    if (isIP(name)) return true;
    if (this.exact.has(name)) return true;
    return this.suffixes.some((s) => name.endsWith(s) && name.length > s.length);
  }
}

/** The name or address of a Host header value, lowercased, without port or IPv6 brackets; undefined if malformed. */
function hostOnly(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end === -1 || (end + 1 < h.length && !/^:\d{1,5}$/.test(h.slice(end + 1)))) return undefined;
    return h.slice(1, end);
  }
  const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1].replace(/\.$/, '') : undefined;
}

/** Answers 403 when the request's Host is not allowed; true = refused (nothing else may answer). Runs before the
 *  one request pipeline, for reads as well as writes. */
export function refuseForeignHost(req: IncomingMessage, res: ServerResponse, allowed: HostAllowList): boolean {
  if (allowed.allows(req.headers.host)) return false;
  const body = JSON.stringify({
    type: 'about:blank', title: 'Forbidden', status: 403, code: codes.HOST_NOT_ALLOWED,
    detail: 'this server does not answer for that Host name (DNS rebinding protection); add the name to SPARK_ALLOWED_HOSTS to use it',
    errors: [{ field: 'host', message: 'not an allowed host name' }],
  });
  res.writeHead(403, [...SECURITY_HEADERS.flat(), 'Content-Type', 'application/problem+json', 'Content-Length', String(Buffer.byteLength(body))]);
  res.end(body);
  req.resume();
  return true;
}
