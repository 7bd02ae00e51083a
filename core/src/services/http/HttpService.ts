import { Readable, Transform } from 'node:stream';
import { Agent, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { HttpRequestOptions, HttpResponse, Logger, ProxyOptions, RouteContext, UpstreamRef } from '../../api/types.js';
import { SparkError, isSparkError } from '../../api/errors.js';
import { KernelRouteContext } from '../../http/routeContext.js';
import { ResponseForwarder } from './proxyHandler.js';
import { forwardHead, HOP_BY_HOP } from './forwardHead.js';
import { refuseDotSegments } from './safePath.js';
import type { Metrics } from '../metrics/Metrics.js';
import { outsidePlugins } from '../../kernel/pluginContext.js';

// `expect`: Node's server already answered the client's 100-continue, and undici refuses the header (it failed every
// such request with 502 UND_ERR_NOT_SUPPORTED).
const NEVER_UPSTREAM = new Set(['authorization', 'cookie', 'origin', 'referer', 'expect']);

function where(u: UpstreamRef): string {
  return u.hostId ? `${u.service} on ${u.hostId}` : u.service;
}

/** Transport failure → SparkError with a status that tells the client what happened, naming service and host. */
export function mapUpstreamError(err: unknown, u: UpstreamRef, timeoutMs: number): SparkError {
  if (isSparkError(err)) return err;
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const details = { service: u.service, host: u.hostId };
  if (e.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new SparkError('SPK_UPSTREAM_TIMEOUT', `${where(u)} did not answer within ${Math.round(timeoutMs / 1000)} s`, { status: 504, details });
  }
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new SparkError('SPK_UPSTREAM_UNAVAILABLE', `${where(u)} is not reachable (${code})`, { status: 503, details, retryAfter: 5 });
  }
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new SparkError('SPK_ABORTED', `request to ${where(u)} was cancelled`, { status: 499, details });
  }
  return new SparkError('SPK_UPSTREAM_FAILED', `${where(u)} failed: ${code || e.message}`, { status: 502, details });
}

/** A resolved upstream target: the pool to use and the request target to send. */
interface Target {
  origin: string;
  path: string;
}

export class HttpService {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly log: Logger, private readonly metrics?: Metrics) {}

  /** One keep-alive agent per upstream origin, so a slow service cannot starve another's sockets. */
  private agent(origin: string): Agent {
    let a = this.agents.get(origin);
    if (!a) {
      // noDelay: without it every small request on a kept-alive socket waits on delayed ACKs (~1 ms → 0.3 ms here).
      a = new Agent({ keepAliveTimeout: 10_000, connections: 4096, connect: { timeout: 5_000, noDelay: true } });
      this.agents.set(origin, a);
    }
    return a;
  }

  private readonly targets = new Map<string, Target>();

  /** Where a proxied path goes, resolved as `new URL(path, baseUrl)` would. Paths without a query string are
   *  remembered: the same few (`/v1/chat/completions` …) repeat on every request and URL parsing was ~3 % of the
   *  proxy's CPU. (A query string may carry user data: never kept.) */
  private target(baseUrl: string, path: string): Target {
    const cacheable = !path.includes('?');
    const key = `${baseUrl}\u0000${path}`;
    let t = cacheable ? this.targets.get(key) : undefined;
    if (!t) {
      const url = new URL(path, baseUrl);
      t = { origin: url.origin, path: url.pathname + url.search };
      if (cacheable) {
        if (this.targets.size >= 2_000) this.targets.clear();
        this.targets.set(key, t);
      }
    }
    return t;
  }

  async request(u: UpstreamRef, path: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    // The resolved origin and path are cached per path (target()); a query string is added to a copy of them.
    let t = this.target(u.baseUrl, path);
    const query = opts.query ? Object.entries(opts.query).filter(([, v]) => v !== undefined) : [];
    if (query.length) {
      const url = new URL(t.path, t.origin);
      for (const [k, v] of query) url.searchParams.set(k, String(v));
      t = { origin: t.origin, path: url.pathname + url.search };
    }
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: Dispatcher.DispatchOptions['body'] = opts.body as Dispatcher.DispatchOptions['body'];
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    }
    // AbortSignal.any only when the caller has a signal of its own: combining signals costs more than the timeout itself.
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
    try {
      // Pooled sockets serve every plugin: opened outside the caller's context (its own code after the await keeps it).
      // The origin's agent directly: undici's request(url) would parse the URL again on every call.
      const res = await outsidePlugins(() => this.agent(t.origin).request({
        origin: t.origin,
        path: t.path,
        method: (opts.method ?? (body !== undefined ? 'POST' : 'GET')) as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      }));
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as Readable };
    } catch (e) {
      throw mapUpstreamError(e, u, timeoutMs);
    }
  }

  async fetchJson<T extends z.ZodType>(u: UpstreamRef, path: string, schema: T, opts: HttpRequestOptions = {}): Promise<z.output<T>> {
    return (await this.fetchJsonText(u, path, schema, opts)).value;
  }

  async fetchJsonText<T extends z.ZodType>(u: UpstreamRef, path: string, schema: T, opts: HttpRequestOptions = {}): Promise<{ value: z.output<T>; text: string }> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const res = await this.request(u, path, opts);
    let text: string;
    try {
      text = await readCapped(res.body, 32 * 1024 * 1024);
    } catch (e) {
      throw mapUpstreamError(e, u, timeoutMs);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new SparkError('SPK_UPSTREAM_STATUS', `${where(u)} answered ${res.status}`, {
        status: res.status === 503 ? 503 : 502, details: { service: u.service, host: u.hostId, upstreamStatus: res.status, upstreamBody: text.slice(0, 500) },
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SparkError('SPK_UPSTREAM_GARBAGE', `${where(u)} sent a response that is not JSON`, { status: 502, details: { service: u.service, host: u.hostId } });
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      throw new SparkError('SPK_UPSTREAM_SCHEMA', `${where(u)} sent an unexpected response (${r.error.issues[0]?.path.join('.') || 'body'})`, { status: 502, details: { service: u.service, host: u.hostId } });
    }
    return { value: r.data, text };
  }

  /** Streams the incoming request to the upstream and the answer back; nothing is buffered. Resolves once the
   *  upstream's headers are in (the body then flows straight to the client, see ResponseForwarder); rejects with a
   *  mapped SparkError when the upstream fails before that, so the error middleware can still answer 502/503/504. */
  async proxy(route: RouteContext, u: UpstreamRef, opts: ProxyOptions = {}): Promise<void> {
    const ex = KernelRouteContext.exchangeOf(route);
    const started = performance.now();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const req = route.req;
    const headers: Record<string, string> = {};
    const inHeaders = req.headers;
    for (const k in inHeaders) {
      const v = inHeaders[k];
      if (v === undefined || HOP_BY_HOP.has(k) || NEVER_UPSTREAM.has(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    if (opts.headers) Object.assign(headers, opts.headers);
    if (opts.body !== undefined && typeof opts.body !== 'object') headers['content-length'] = String(Buffer.byteLength(opts.body));
    else if (Buffer.isBuffer(opts.body)) headers['content-length'] = String(opts.body.length);
    const method = req.method ?? 'GET';
    const path = opts.path ?? route.path + (route.search ? `?${route.search}` : '');
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const body = opts.body ?? (hasBody ? capBody(req, ex.maxBodyBytes) : undefined);
    const res = route.res;
    // Metrics describe the time to the upstream's headers (or to its failure).
    const finish = (status: number) => this.metrics?.observeUpstream(u.service, status, performance.now() - started);
    let url: Target;
    try {
      refuseDotSegments(path);
      url = this.target(u.baseUrl, path);
    } catch (e) {
      const mapped = mapUpstreamError(e, u, timeoutMs);
      finish(mapped.status);
      throw mapped;
    }
    await new Promise<void>((resolve, reject) => {
      const forwarder: ResponseForwarder = new ResponseForwarder(res, {
        head: (statusCode, raw) => {
          try {
            const head = forwardHead(statusCode, raw, ex.takeBaseHeaders());
            if (opts.tapBody) tapAnswer(forwarder, opts.tapBody, statusCode, head.headers);
            if (head.sse) {
              // Flush every SSE chunk as it arrives.
              req.socket?.setNoDelay(true);
              req.socket?.setTimeout(0);
            }
            // One writeHead with the whole list: no setHeader per header (the request pipeline set none before).
            res.writeHead(statusCode, head.headers);
            // From here on this response is ours: nothing else may write a body (or a 404) after the handler returns.
            ex.tookOver = true;
          } catch (e) {
            // e.g. a header value Node rejects: nothing was written yet, so it becomes an ordinary error answer.
            const mapped = mapUpstreamError(e, u, timeoutMs);
            finish(mapped.status);
            reject(mapped);
            return false;
          }
          finish(statusCode);
          resolve();
          return true;
        },
        failed: (err) => {
          const mapped = mapUpstreamError(err, u, timeoutMs);
          finish(mapped.status);
          reject(mapped);
        },
        brokeOff: (err) => {
          // The client already has the status line; this is the only place a mid-answer death becomes visible.
          // (A client that left is not an upstream fault.) No query string: it may carry user data.
          this.log.warn('upstream broke off mid-answer', { service: u.service, host: u.hostId, plugin: ex.plugin, path: path.split('?')[0], requestId: route.requestId, error: err.message });
        },
        tapFailed: (err) => {
          this.log.warn('proxy body tap failed; the rest of the answer goes out untouched', { plugin: ex.plugin, requestId: route.requestId, error: err.message });
        },
      });
      outsidePlugins(() => this.agent(url.origin).dispatch({
        origin: url.origin,
        path: url.path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body as Dispatcher.DispatchOptions['body'],
        headersTimeout: timeoutMs,
        bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
      }, forwarder));
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close().catch(() => {})));
    this.agents.clear();
  }
}

/** Asks the caller's tapBody for a tap on this answer; one that rewrites drops the Content-Length from `headers`
 *  (the flat list writeHead gets), so Node sends the changed body chunked. */
function tapAnswer(forwarder: ResponseForwarder, tapBody: NonNullable<ProxyOptions['tapBody']>, statusCode: number, headers: string[]): void {
  let type: string | undefined;
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === 'content-type') type = headers[i + 1];
  const tap = tapBody(statusCode, type);
  if (!tap) return;
  forwarder.tap = tap;
  if (!tap.rewrites) return;
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i].toLowerCase() === 'content-length') headers.splice(i, 2);
}

/** The client's body for the upstream; over the route's `maxBodyBytes` (a chunked body, whose size shows only while
 *  it streams) it fails with 413, which becomes the answer while the upstream has not answered yet. */
function capBody(req: RouteContext['req'], max: number | undefined): Readable {
  if (!max || !req.headers['transfer-encoding']) return req as unknown as Readable;
  let n = 0;
  return (req as unknown as Readable).pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      if (n > max) {
        req.unpipe();
        req.resume();
        done(new SparkError('SPK_BODY_TOO_LARGE', `request body is larger than ${max} bytes`, { status: 413, details: { limit: max } }));
      } else done(null, chunk);
    },
  }));
}

/** The whole body as text, refusing one over `max` bytes. Listeners rather than `for await`: the async iterator cost
 *  a few microseconds per call on every small JSON answer a plugin reads. */
function readCapped(body: Readable, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    body.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        body.destroy();
        reject(new SparkError('SPK_UPSTREAM_TOO_LARGE', 'upstream response too large', { status: 502 }));
        return;
      }
      chunks.push(c);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    body.once('error', reject);
  });
}

export { undiciErrors };
