import type { IncomingMessage } from 'node:http';
import { SparkError, type PluginContext, type RouteContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { InflightRequests } from '../inflight.js';
import type { SwapController } from '../swap.js';
import { loadsOnRequest, resolveModel } from './resolve.js';
import type { OnDemandScheduler } from './scheduler.js';

const MAX_BODY = 32 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length'] || 0) > MAX_BODY) throw new SparkError('SPK_BODY_TOO_LARGE', `request body is larger than ${MAX_BODY} bytes`, { status: 413 });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) { req.resume(); throw new SparkError('SPK_BODY_TOO_LARGE', `request body is larger than ${MAX_BODY} bytes`, { status: 413 }); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** OpenAI's answer to a model it does not have: 404, `model_not_found`, param `model`. */
export function modelNotFound(name: string): SparkError {
  return new SparkError('model_not_found', `The model \`${name.slice(0, 100)}\` does not exist in the catalog`, { status: 404, details: { errors: [{ field: 'model', message: 'not a catalog model (served name, id or alias)' }] } });
}

/** An error as an SSE data line in OpenAI's envelope (what the openai client raises from a stream). */
function sseError(e: unknown): string {
  const se = e as SparkError;
  const status = typeof se.status === 'number' ? se.status : 502;
  return `data: ${JSON.stringify({ error: { message: se.message ?? 'error', type: status === 503 ? 'service_unavailable' : 'api_error', code: se.code ?? 'VLLM_PROXY', param: null } })}\n\n`;
}

export interface CompletionDeps {
  ctx: PluginContext<VllmConfig>; swap: SwapController; scheduler: OnDemandScheduler; inflight: InflightRequests; catalog: () => CatalogEntry[];
  /** The pre-existing proxy (answers 503 during a swap), for requests that name no model. */
  plainProxy(c: RouteContext, body: Buffer): Promise<void>;
}

/** POST /v1/chat/completions and /v1/completions: the model the body names is served (loaded on request if needed)
 *  before the request is forwarded; a streaming request that has to wait gets `: loading <model>` SSE comments. */
export async function onDemandCompletion(d: CompletionDeps, c: RouteContext): Promise<void> {
  let body = await readBody(c.req);
  let parsed: Record<string, unknown> | undefined;
  try {
    const j = JSON.parse(body.toString('utf8')) as unknown;
    if (j && typeof j === 'object' && !Array.isArray(j)) parsed = j as Record<string, unknown>;
  } catch { /* vLLM answers malformed JSON itself */ }
  if (typeof parsed?.model !== 'string') return d.plainProxy(c, body);
  const name = parsed.model;
  const model = resolveModel(d.catalog(), name);
  if (!model) throw modelNotFound(name);
  // vLLM knows the model by its served name only.
  if (name !== model.servedName) body = Buffer.from(JSON.stringify({ ...parsed, model: model.servedName }));
  const cfg = d.ctx.config.get();
  if (!d.scheduler.serving(model.id)) {
    if (!loadsOnRequest(model, cfg)) {
      const served = d.swap.active?.servedName;
      throw new SparkError('VLLM_MODEL_NOT_SERVED', `${model.servedName} is not being served${served ? ` (${served} is)` : ''} and does not load on request; swap to it first`, { status: 409, details: { errors: [{ field: 'model', message: 'loadOnRequest is off for this model' }] } });
    }
    if (parsed.stream === true) return streamAfterLoad(d, c, model, body);
    await d.scheduler.acquire(model, c.signal);
  }
  d.inflight.track(c.res);
  d.scheduler.touch(model.id, c.res);
  return d.ctx.http.proxy(c, d.swap.upstream(), { body, headers: { 'content-type': 'application/json' }, timeoutMs: 120_000, bodyTimeoutMs: 600_000, errorStyle: 'openai' });
}

/** The client streams: answer 200 at once, keep the connection alive with SSE comments while the model loads, then
 *  relay vLLM's stream. Errors after the headers are OpenAI-style `data: {"error":…}` lines. */
async function streamAfterLoad(d: CompletionDeps, c: RouteContext, model: CatalogEntry, body: Buffer): Promise<void> {
  // Refused at once (queue full) is still a plain 503 with Retry-After, before any header is out.
  const waiting = d.scheduler.acquire(model, c.signal);
  const early = await Promise.race([waiting.then(() => 'ready', (e) => e), new Promise((r) => setImmediate(() => r('waiting')))]);
  if (early !== 'ready' && early !== 'waiting') throw early;
  const sse = c.sse();
  const say = () => sse.comment(`loading ${model.servedName}`);
  let tick: NodeJS.Timeout | undefined;
  if (early === 'waiting') { say(); tick = setInterval(say, d.ctx.config.get().loadingCommentSec * 1000); }
  try {
    await waiting;
  } catch (e) {
    if (!sse.signal.aborted) c.res.write(sseError(e));
    sse.close();
    return;
  } finally {
    clearInterval(tick);
  }
  d.inflight.track(c.res);
  d.scheduler.touch(model.id, c.res);
  try {
    const r = await d.ctx.http.request(d.swap.upstream(), c.path, { method: 'POST', body, headers: { 'content-type': 'application/json' }, timeoutMs: 3_600_000, signal: sse.signal });
    if (r.status !== 200) {
      let text = '';
      for await (const chunk of r.body) { text += chunk; if (text.length > 64_000) break; }
      r.body.destroy();
      c.res.write(text.trim().startsWith('{') && text.includes('"error"') ? `data: ${text.trim().replace(/\n/g, ' ')}\n\n` : sseError(new SparkError('VLLM_UPSTREAM', `vLLM answered ${r.status}`, { status: 502 })));
    } else {
      for await (const chunk of r.body) if (!c.res.destroyed) c.res.write(chunk);
    }
  } catch (e) {
    if (!sse.signal.aborted) c.res.write(sseError(e));
  } finally {
    sse.close();
  }
}
