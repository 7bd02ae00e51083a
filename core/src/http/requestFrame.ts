import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../api/types.js';
import { isSparkError } from '../api/errors.js';
import type { Metrics } from '../services/metrics/Metrics.js';
import { toOpenAiError, toProblem } from './problem.js';
import { codes } from '../api/codes.js';

// What every request gets around its handler, in either lane: an id, an error answer, a metric and a log line.

/** A client's X-Request-Id is kept only when it is this harmless (it is echoed and logged). */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Our own ids: a random prefix per process and a counter. Unique across restarts without asking the CSPRNG on every
 *  request (randomUUID was ~1 % of the proxy's CPU per request); nothing relies on an id being unguessable. */
const ID_PREFIX = randomBytes(6).toString('hex');
let idCounter = 0;

export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

export interface RequestFacts {
  requestId: string;
  plugin?: string;
  errorStyle?: 'problem' | 'openai';
  sensitive?: boolean;
  routeTemplate?: string;
}

export interface ErrorAnswer {
  status: number;
  retryAfter?: number;
  contentType: string;
  body: object;
}

/** A thrown value → the answer the client gets (problem+json, or OpenAI's envelope on OpenAI-style routes); a 5xx is
 *  logged, without the message on sensitive routes (it may quote private input). */
export function errorAnswer(err: unknown, f: RequestFacts, log: Logger): ErrorAnswer {
  const plugin = f.plugin && f.plugin !== 'kernel' ? f.plugin : undefined;
  const problem = toProblem(err, f.requestId, plugin);
  if (problem.status === 404 && !isSparkError(err)) problem.code = codes.NOT_FOUND;
  if (problem.status >= 500) log.error('request failed', { req: f.requestId, plugin: f.plugin, code: problem.code, error: f.sensitive ? undefined : (err as Error)?.message });
  const retryAfter = isSparkError(err) ? err.retryAfter : undefined;
  return f.errorStyle === 'openai'
    ? { status: problem.status, retryAfter, contentType: 'application/json; charset=utf-8', body: toOpenAiError(problem) }
    : { status: problem.status, retryAfter, contentType: 'application/problem+json', body: problem };
}

/** Writes an error answer on the raw response; once headers are out, the only honest signal left is a cut stream. */
export function sendError(res: ServerResponse, err: unknown, f: RequestFacts, log: Logger): void {
  const a = errorAnswer(err, f, log);
  if (res.headersSent || res.destroyed || res.writableEnded) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(a.body);
  res.statusCode = a.status;
  if (a.retryAfter) res.setHeader('Retry-After', String(a.retryAfter));
  res.setHeader('content-type', a.contentType);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Metric + log line for one finished request. Paths only: query strings and bodies may carry private data. */
export function recordRequest(metrics: Metrics, log: Logger, debug: boolean, f: RequestFacts & { method: string; path: string; status: number; ms: number }): void {
  const plugin = f.plugin ?? 'static';
  metrics.observeHttp(plugin, f.method, f.status, f.ms);
  const level = f.status >= 500 ? 'warn' : 'debug';
  if (level === 'warn' || debug) log[level]('http', { req: f.requestId, method: f.method, path: f.sensitive ? f.routeTemplate ?? f.path : f.path, status: f.status, ms: Math.round(f.ms), plugin });
}
