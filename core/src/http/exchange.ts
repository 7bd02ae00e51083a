import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { UNIDENTIFIED, type Clients, type IdentifiedClient } from '../services/clients/Clients.js';

/** Statuses that never carry a body (Koa's `statuses.empty`). */
export const EMPTY_STATUS = new Set([204, 205, 304]);

/**
 * One request/response as a declared route sees it, over the raw Node objects (no Koa): what the handler asked for
 * (status, a stream body, "I answered myself") until `sendResult` writes it. The request pipeline builds one per
 * request, for plugin and kernel routes alike.
 */
export class Exchange {
  /** Set by `c.status()`; otherwise 200 with a body, 204 without. */
  status: number | undefined;
  /** Set by `c.stream()`. */
  streamBody: Readable | undefined;
  /** The handler answered on `res` itself (streaming proxy, SSE): nothing more is written. */
  tookOver = false;
  /** Where the route came from, for errors, logs and metrics. */
  plugin = 'kernel';
  errorStyle: 'problem' | 'openai' = 'problem';
  sensitive = false;
  routeTemplate: string | undefined;
  /** The route's declared body limit (raw-body routes enforce it themselves, e.g. the proxy). */
  maxBodyBytes: number | undefined;
  /** Who sent the request (set by the lane that identified it); until then, a client that may call nothing. */
  client: IdentifiedClient = UNIDENTIFIED;
  /** Scopes, limits and usage; absent when accounting is off (then only the scope check applies). */
  clients: Clients | undefined;
  /** Headers every answer carries (request id, security headers) not yet put on `res`: the pipeline defers them so
   *  the proxy can write its whole head in one `writeHead` (see `takeBaseHeaders`). Put on `res` before Koa answers what no route does. */
  private baseHeaders: string[] | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    /** Path without the query string, and the query string without `?`. */
    readonly path: string,
    readonly search: string,
  ) {}

  deferBaseHeaders(flat: string[]): void {
    this.baseHeaders = flat;
  }

  /** The deferred base headers as a flat [name, value, …] list, once (the caller writes them). */
  takeBaseHeaders(): string[] {
    const h = this.baseHeaders ?? [];
    this.baseHeaders = undefined;
    return h;
  }

  /** Puts the deferred base headers on `res` (every answer that is not written by `writeHead` with them). */
  applyBaseHeaders(): void {
    const h = this.takeBaseHeaders();
    for (let i = 0; i < h.length; i += 2) if (!this.res.hasHeader(h[i])) this.res.setHeader(h[i], h[i + 1]);
  }
}

/** Splits a request target into path and query string (`/a?b=1` → ['/a', 'b=1']). A fragment (`#…`, which no
 *  client should send) is dropped as Koa's parser drops it: the pipeline finds the route Koa would have found. */
export function splitTarget(url: string): [string, string] {
  const h = url.indexOf('#');
  const target = h === -1 ? url : url.slice(0, h);
  const q = target.indexOf('?');
  return q === -1 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

/**
 * Writes a handler's outcome the way Koa would have: an object as JSON, a string as text (html when it starts with
 * `<`), a Buffer as octet-stream, a stream piped, nothing as 204 — or, after an explicit status, that status's reason
 * phrase. A HEAD request gets the same headers and no body (Node drops it).
 */
export function sendResult(ex: Exchange, out: unknown): void {
  if (ex.tookOver) return;
  ex.applyBaseHeaders();
  const res = ex.res;
  const stream = out === undefined ? ex.streamBody : undefined;
  const hasValue = out !== undefined && out !== null;
  const status = ex.status ?? (hasValue || stream ? 200 : 204);
  res.statusCode = status;
  if (EMPTY_STATUS.has(status)) {
    res.removeHeader('content-type');
    res.removeHeader('content-length');
    stream?.destroy();
    res.end();
    return;
  }
  if (stream) {
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/octet-stream');
    if (ex.req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    // A failing source can only cut the response off (the status line is out); a client that leaves stops the source.
    stream.on('error', () => res.destroy());
    res.once('close', () => { if (!stream.destroyed) stream.destroy(); });
    stream.pipe(res);
    return;
  }
  let body: string | Buffer;
  let type: string;
  if (!hasValue) {
    body = STATUS_CODES[status] ?? String(status);
    type = 'text/plain; charset=utf-8';
  } else if (typeof out === 'string') {
    body = out;
    type = /^\s*</.test(out) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  } else if (Buffer.isBuffer(out)) {
    body = out;
    type = 'application/octet-stream';
  } else {
    body = JSON.stringify(out);
    type = 'application/json; charset=utf-8';
  }
  if (!res.hasHeader('content-type')) res.setHeader('content-type', type);
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}
