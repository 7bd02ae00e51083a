import { PassThrough, type Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import type { Logger, Out, OutOr, RawParams, RawQuery, PluginRouter, RouteContext, RouteHandler, RouteSpec, SseSender } from '../api/types.js';
import { SparkError, validationError } from '../api/errors.js';
import { zodFieldErrors } from './problem.js';
import { attachInternals } from './routeInternals.js';

export interface RegisteredRoute {
  plugin: string;
  prefix: string;
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
  fullPath: string;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** Sub-paths of /api/plugins/<id> the kernel answers itself (plugin management); plugins cannot declare them. */
export const KERNEL_PLUGIN_ACTIONS = ['restart', 'enable', 'disable', 'health'];

/** Reads a JSON body with a size cap (413 before reading more than allowed) and a media-type check (415). */
export async function readJsonBody(koa: Context, maxBytes: number): Promise<unknown> {
  const len = Number(koa.get('content-length') || 0);
  if (len > maxBytes) throw new SparkError('SPK_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`, { status: 413, details: { limit: maxBytes } });
  const type = koa.get('content-type');
  const chunked = !!koa.get('transfer-encoding');
  if (!len && !chunked) return undefined;
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
    throw new SparkError('SPK_UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json', { status: 415, details: { field: 'content-type' } });
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of koa.req) {
    n += (c as Buffer).length;
    if (n > maxBytes) {
      koa.req.unpipe?.();
      koa.req.resume();
      throw new SparkError('SPK_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`, { status: 413, details: { limit: maxBytes } });
    }
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SparkError('SPK_INVALID_JSON', 'request body is not valid JSON', { status: 400, details: { errors: [{ field: '', message: 'not valid JSON' }] } });
  }
}

function check<T extends z.ZodType | undefined>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (!r.success) {
    const prefix = where === 'body' ? [] : [where];
    throw validationError(zodFieldErrors(r.error, prefix), where);
  }
  return r.data;
}

/** Creates an SSE stream on a Koa context: headers, comment heartbeat every 15 s, cleanup when the client leaves. */
export function openSse(koa: Context, heartbeatMs = 15_000): SseSender {
  koa.req.socket.setTimeout(0);
  koa.req.socket.setNoDelay(true);
  koa.status = 200;
  koa.set('Content-Type', 'text/event-stream; charset=utf-8');
  koa.set('Cache-Control', 'no-cache, no-transform');
  koa.set('X-Accel-Buffering', 'no');
  const stream = new PassThrough();
  koa.body = stream;
  const ac = new AbortController();
  const hb = setInterval(() => stream.write(': hb\n\n'), heartbeatMs);
  hb.unref();
  const close = () => {
    clearInterval(hb);
    if (!ac.signal.aborted) ac.abort();
    stream.end();
  };
  // Only the response's close means the client left (the request emits 'close' once its body is consumed).
  koa.res.on('close', close);
  stream.write(': connected\n\n');
  return {
    signal: ac.signal,
    send(event, data, id) {
      if (ac.signal.aborted) return;
      stream.write(`${id ? `id: ${id}\n` : ''}${event === 'message' ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      if (!ac.signal.aborted) stream.write(`: ${text.replace(/\n/g, ' ')}\n\n`);
    },
    close,
  };
}

/** Builds the RouteContext a handler sees, over a Koa context. */
export function makeRouteContext(koa: Context, plugin: string, sensitive: boolean, log: Logger): RouteContext {
  // Created on first use only: an AbortController per request is measurable on the proxy hot path.
  let ac: AbortController | undefined;
  let childLog: Logger | undefined;
  const c: RouteContext = {
    body: undefined, query: undefined, params: undefined,
    requestId: String(koa.state.requestId ?? ''),
    get signal() {
      if (!ac) {
        const controller = (ac = new AbortController());
        // The response closing before it finished = the client went away. (The request's own 'close' fires as
        // soon as its body was read, so it must not be used for this.)
        if (koa.res.writableFinished) return controller.signal;
        koa.res.once('close', () => { if (!koa.res.writableFinished) controller.abort(); });
      }
      return ac.signal;
    },
    get log() { return (childLog ??= log.child({ req: koa.state.requestId })); },
    req: koa.req, res: koa.res,
    path: koa.path, search: koa.querystring,
    headers: koa.headers,
    status: (code) => { koa.status = code; },
    setHeader: (n, v) => { koa.set(n, v); },
    stream: (body: Readable, contentType: string) => { koa.type = contentType; koa.body = body; },
    sse: () => openSse(koa),
  };
  attachInternals(c, { koa, plugin, sensitive });
  return c;
}

/** A plugin's router for one prefix. Routes are collected at register time, then compiled to one @koa/router. */
export class PluginRouterImpl implements PluginRouter {
  readonly routes: RegisteredRoute[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly plugin: string, readonly prefix: string, private readonly log: Logger) {}

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q, P>,
    handler: RouteHandler<Out<B>, OutOr<Q, RawQuery>, OutOr<P, RawParams>>,
  ): void {
    const fullPath = (this.prefix + spec.path).replace(/\/+$/, '') || '/';
    const own = `/api/plugins/${this.plugin}`;
    if (this.prefix === own && KERNEL_PLUGIN_ACTIONS.some((a) => fullPath === `${own}/${a}`)) {
      throw new SparkError('SPK_ROUTE_RESERVED', `${this.plugin}: ${fullPath} is reserved for the kernel's plugin actions`, { status: 500 });
    }
    const k = `${spec.method} ${fullPath}`;
    if (this.seen.has(k)) throw new SparkError('SPK_ROUTE_CONFLICT', `route ${k} declared twice by ${this.plugin}`, { status: 500 });
    this.seen.add(k);
    this.routes.push({ plugin: this.plugin, prefix: this.prefix, spec: spec as RegisteredRoute['spec'], fullPath });
    this.handlers.set(k, handler as RouteHandler<unknown, unknown, unknown>);
  }

  private readonly handlers = new Map<string, RouteHandler<unknown, unknown, unknown>>();

  /** Compile into Koa middleware (done once per plugin start). */
  middleware(): Middleware {
    const router = new Router();
    for (const r of this.routes) {
      const handler = this.handlers.get(`${r.spec.method} ${r.fullPath}`)!;
      const spec = r.spec;
      const mw: Middleware = async (koa) => {
        koa.state.plugin = this.plugin;
        koa.state.errorStyle = spec.errorStyle ?? 'problem';
        koa.state.sensitive = !!spec.sensitive;
        koa.state.routeTemplate = r.fullPath;
        const c = makeRouteContext(koa, this.plugin, !!spec.sensitive, this.log);
        c.params = check(spec.params, koa.params, 'params');
        c.query = check(spec.query, { ...koa.query }, 'query');
        const mode = spec.bodyMode ?? (spec.body ? 'json' : 'raw');
        if (mode === 'json' && spec.method !== 'GET' && spec.method !== 'DELETE') {
          const raw = await readJsonBody(koa, spec.maxBodyBytes ?? DEFAULT_MAX_BODY);
          c.body = check(spec.body, raw, 'body');
        } else if (mode === 'json' && spec.body) {
          c.body = check(spec.body, undefined, 'body');
        }
        const out = await handler(c);
        if (out !== undefined) {
          koa.body = out as object;
        } else if (koa.respond === false) {
          // The handler wrote the response itself (the streaming proxy): nothing to add.
        } else if (koa.body === undefined || koa.body === null) {
          if (koa.status === 404) koa.status = 204;
        }
      };
      const path = r.fullPath;
      switch (spec.method) {
        case 'GET': router.get(path, mw); break;
        case 'POST': router.post(path, mw); break;
        case 'PUT': router.put(path, mw); break;
        case 'PATCH': router.patch(path, mw); break;
        case 'DELETE': router.delete(path, mw); break;
      }
    }
    const routes = router.routes();
    const allowed = router.allowedMethods({ throw: false });
    const afterRoutes = (koa: Context, next: () => Promise<unknown>) => async () => { await allowed(koa as never, next); };
    // The kernel's own router sits in front of every request (proxied traffic included) and would run each of its
    // route regexes on a path like /v1/chat/completions only to find nothing. When every route starts with a literal
    // first segment, a path whose first segment is none of them cannot match: skip straight to the next middleware
    // (exactly what the router itself does on no match). @koa/router matches case-insensitively, hence lowercase.
    const heads = firstSegments(this.routes.map((r) => r.fullPath));
    return async (koa, next) => {
      if (heads && !heads.has(firstSegment(koa.path))) return next();
      return routes(koa as never, afterRoutes(koa, next));
    };
  }
}

/** Lowercased first path segment: '/api/x' → 'api', '/health/' → 'health', '/' → ''. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** The literal first segments of route paths, or undefined when one of them is not literal (a param, wildcard,
 *  optional group or escape), in which case any path may match. */
function firstSegments(paths: string[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const p of paths) {
    const seg = firstSegment(p);
    if (/[:*(){}?+\\[\]!@;,]/.test(seg)) return undefined;
    out.add(seg);
  }
  return out;
}
