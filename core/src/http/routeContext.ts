import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger, RequestClient, RouteContext, SseSender } from '../api/types.js';
import { SparkError } from '../api/errors.js';
import type { Exchange } from './exchange.js';
import { codes } from '../api/codes.js';

/**
 * What a route handler gets. A class (not an object literal of closures) because one is built per request on the
 * proxy's hot path; the Exchange behind it is private, and only the kernel can reach it (`exchangeOf`).
 */
export class KernelRouteContext implements RouteContext {
  body: unknown = undefined;
  query: unknown = undefined;
  params: unknown = undefined;
  readonly requestId: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly search: string;
  readonly headers: IncomingHttpHeaders;
  readonly #ex: Exchange;
  readonly #parentLog: Logger;
  #log: Logger | undefined;
  #ac: AbortController | undefined;

  constructor(ex: Exchange, log: Logger) {
    this.#ex = ex;
    this.#parentLog = log;
    this.requestId = ex.requestId;
    this.req = ex.req;
    this.res = ex.res;
    this.path = ex.path;
    this.search = ex.search;
    this.headers = ex.req.headers;
  }

  /** Created on first use only: an AbortController per request is measurable on the proxy hot path. */
  get signal(): AbortSignal {
    if (!this.#ac) {
      const controller = (this.#ac = new AbortController());
      const res = this.#ex.res;
      // The response closing before it finished = the client went away. (The request's own 'close' fires as soon as
      // its body was read, so it must not be used for this.)
      if (!res.writableFinished) res.once('close', () => { if (!res.writableFinished) controller.abort(); });
    }
    return this.#ac.signal;
  }

  get log(): Logger {
    return (this.#log ??= this.#parentLog.child({ req: this.requestId }));
  }

  get client(): RequestClient {
    return this.#ex.client;
  }

  usage(counters: Record<string, number>, subject = ''): void {
    const ex = this.#ex;
    ex.clients?.usage.add(ex.client.id, ex.plugin, subject, counters);
  }

  status(code: number): void {
    this.#ex.status = code;
  }

  setHeader(name: string, value: string): void {
    this.#ex.res.setHeader(name, value);
  }

  stream(body: Readable, contentType: string): void {
    this.#ex.streamBody = body;
    this.#ex.res.setHeader('content-type', contentType);
  }

  sse(): SseSender {
    return openSse(this.#ex);
  }

  /** The kernel's side of a route context (the proxy answers on it); throws for anything the kernel did not build. */
  static exchangeOf(c: RouteContext): Exchange {
    if (!(#ex in c)) throw new Error('not a kernel RouteContext');
    return (c as KernelRouteContext).#ex;
  }
}

/** Every open event stream, by the server it came in on: when who may listen changes (a token set, a logout), the
 *  kernel closes the ones whose request would not be let in any more. */
const openStreams = new Set<{ req: IncomingMessage; close: () => void }>();

export function closeStreamsWhere(server: unknown, refuse: (headers: IncomingHttpHeaders) => boolean): number {
  let n = 0;
  for (const s of openStreams) {
    if ((s.req.socket as { server?: unknown }).server !== server || !refuse(s.req.headers)) continue;
    s.close();
    n++;
  }
  return n;
}

/** Turns the response into an SSE stream now: headers, comment heartbeat every 15 s, cleanup when the client leaves.
 *  Frames go straight to the socket (no intermediate stream: 1,000 open streams must stay small). */
export function openSse(ex: Exchange, heartbeatMs = 15_000): SseSender {
  const { req, res } = ex;
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  ex.tookOver = true;
  ex.applyBaseHeaders();
  res.writeHead(ex.status ?? 200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  const ac = new AbortController();
  const write = (frame: string) => { if (!ac.signal.aborted && !res.destroyed) res.write(frame); };
  const hb = setInterval(() => write(': hb\n\n'), heartbeatMs);
  hb.unref();
  const entry = { req, close: () => close() };
  const close = () => {
    clearInterval(hb);
    openStreams.delete(entry);
    if (!ac.signal.aborted) ac.abort();
    if (!res.writableEnded) res.end();
  };
  openStreams.add(entry);
  res.on('close', close);
  write(': connected\n\n');
  return {
    signal: ac.signal,
    send(event, data, id) {
      write(`${id ? `id: ${id}\n` : ''}${event === 'message' ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/\n/g, ' ')}\n\n`);
    },
    close,
  };
}

/** Reads a JSON body with a size cap (413 before reading more than allowed) and a media-type check (415). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const len = Number(req.headers['content-length'] || 0);
  if (len > maxBytes) throw new SparkError(codes.BODY_TOO_LARGE, `request body is larger than ${maxBytes} bytes`, { status: 413, details: { limit: maxBytes } });
  const type = req.headers['content-type'] ?? '';
  const chunked = !!req.headers['transfer-encoding'];
  if (!len && !chunked) return undefined;
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
    throw new SparkError(codes.UNSUPPORTED_MEDIA_TYPE, 'request body must be application/json', { status: 415, details: { field: 'content-type' } });
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > maxBytes) {
      req.unpipe?.();
      req.resume();
      throw new SparkError(codes.BODY_TOO_LARGE, `request body is larger than ${maxBytes} bytes`, { status: 413, details: { limit: maxBytes } });
    }
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SparkError(codes.INVALID_JSON, 'request body is not valid JSON', { status: 400, details: { errors: [{ field: '', message: 'not valid JSON' }] } });
  }
}
