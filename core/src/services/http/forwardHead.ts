import { util as undiciUtil } from 'undici';
import { EMPTY_STATUS } from '../../http/exchange.js';

/** Headers that describe one hop only (RFC 9110 §7.6.1) plus our own credentials, never forwarded. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'proxy-authorization', 'proxy-authenticate']);

export interface ForwardedHead {
  /** Flat [name, value, …] list for `res.writeHead(status, list)`. */
  headers: string[];
  /** The answer is an event stream (flush every chunk). */
  sse: boolean;
}

/**
 * The head the client gets for an upstream answer, built straight from undici's raw header buffers into the flat list
 * `writeHead` takes (no parsed object, no `setHeader` per header): `base` (request id, security headers) first, unless
 * the upstream sends the same name (the upstream wins, as it always did); hop-by-hop headers dropped; a
 * Content-Length beside a Transfer-Encoding dropped; no entity headers on 204/205/304; octet-stream when the upstream
 * names no type; `X-Accel-Buffering: no` and `Cache-Control: no-cache` on an event stream.
 */
export function forwardHead(statusCode: number, raw: Buffer[], base: string[]): ForwardedHead {
  const upstream: string[] = [];
  let chunked = false;
  let type: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = undiciUtil.headerNameToString(raw[i]);
    if (name === 'transfer-encoding') chunked = true;
    if (HOP_BY_HOP.has(name)) continue;
    const value = raw[i + 1].toString('latin1');
    if (name === 'content-type') type ??= value;
    upstream.push(name, value);
  }
  const empty = EMPTY_STATUS.has(statusCode);
  const sse = !empty && type !== undefined && type.includes('text/event-stream');
  const headers: string[] = [];
  for (let i = 0; i < base.length; i += 2) if (!sends(upstream, base[i].toLowerCase())) headers.push(base[i], base[i + 1]);
  for (let i = 0; i < upstream.length; i += 2) {
    const name = upstream[i];
    if (name === 'content-length' && (chunked || empty)) continue;
    if (empty && name === 'content-type') continue;
    if (sse && name === 'cache-control') continue;
    headers.push(name, upstream[i + 1]);
  }
  if (!empty && type === undefined) headers.push('content-type', 'application/octet-stream'); // Koa's default for a stream body
  if (sse) headers.push('X-Accel-Buffering', 'no', 'Cache-Control', 'no-cache');
  return { headers, sse };
}

function sends(flat: string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}
