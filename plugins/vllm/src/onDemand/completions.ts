import type { IncomingMessage } from 'node:http';
import { SparkError, type PluginContext, type RouteContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { Residency } from '../residency/residency.js';
import type { SwapController } from '../swap.js';
import { meterCompletion, type CompletionMeter } from '../usage/completionUsage.js';
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

/** 403 in OpenAI's envelope: this client's key may not use (or load) the model. */
export function modelNotAllowed(servedName: string, why: 'use' | 'load'): SparkError {
  return why === 'use'
    ? new SparkError('model_not_allowed', `This API key may not use the model \`${servedName}\``, { status: 403, details: { errors: [{ field: 'model', message: 'not in this client\'s models allow list' }] } })
    : new SparkError('model_not_allowed', `This API key may use \`${servedName}\` only while it is being served (it may not load it); try again when it is, or ask for a model that is`, { status: 403, details: { errors: [{ field: 'model', message: 'not in this client\'s loadOnRequest allow list' }] } });
}

export interface CompletionDeps {
  ctx: PluginContext<VllmConfig>; swap: SwapController; residency: Residency; scheduler: OnDemandScheduler; catalog: () => CatalogEntry[];
  /** The pre-existing proxy (answers 503 during a swap), for requests that name no model; `meter` counts its usage. */
  plainProxy(c: RouteContext, body: Buffer, meter?: CompletionMeter): Promise<void>;
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
  if (!parsed) return d.plainProxy(c, body);
  if (typeof parsed.model !== 'string') {
    // vLLM answers with the model it serves: counted under that one.
    const served = d.swap.active;
    if (served && !c.client.allows('models', served.modelId)) throw modelNotAllowed(served.servedName, 'use');
    const meter = meterCompletion(c, parsed, body, served?.modelId ?? '');
    return d.plainProxy(c, meter.body, meter);
  }
  const name = parsed.model;
  const model = resolveModel(d.catalog(), name);
  if (!model) throw modelNotFound(name);
  if (!c.client.allows('models', model.id)) throw modelNotAllowed(model.servedName, 'use');
  // vLLM knows the model by its served name only.
  if (name !== model.servedName) parsed = { ...parsed, model: model.servedName };
  const meter = meterCompletion(c, parsed, name !== model.servedName ? undefined : body, model.id);
  body = meter.body;
  const cfg = d.ctx.config.get();
  if (!d.scheduler.serving(model.id)) {
    // A client that may not load it may still use it while someone else's request has it loaded.
    if (!c.client.allows('loadOnRequest', model.id)) throw modelNotAllowed(model.servedName, 'load');
    if (!loadsOnRequest(model, cfg)) {
      const served = d.swap.active?.servedName;
      throw new SparkError('VLLM_MODEL_NOT_SERVED', `${model.servedName} is not being served${served ? ` (${served} is)` : ''} and does not load on request; swap to it first`, { status: 409, details: { errors: [{ field: 'model', message: 'loadOnRequest is off for this model' }] } });
    }
    if (parsed.stream === true) return streamAfterLoad(d, c, model, body, meter);
    // How long it waited for the load, for the client and for whoever measures what the queue adds.
    c.res.setHeader('x-spark-queue-wait-ms', String(await d.scheduler.acquire(model, c.signal, c.client.priority)));
  }
  const slot = servingSlot(d, model);
  slot.inflight.track(c.res);
  d.scheduler.touch(model.id, c.res);
  return d.ctx.http.proxy(c, slot.upstream(), { body, headers: { 'content-type': 'application/json' }, timeoutMs: 120_000, bodyTimeoutMs: 600_000, errorStyle: 'openai', tapBody: meter.tapBody });
}

/** The slot answering for the model now; slot 1 when none does (its proxy then answers as vLLM does, or 503). */
const servingSlot = (d: CompletionDeps, model: CatalogEntry): SwapController => d.residency.serving(model.id) ?? d.swap;

/** The client streams: answer 200 at once, keep the connection alive with SSE comments while the model loads, then
 *  relay vLLM's stream. Errors after the headers are OpenAI-style `data: {"error":…}` lines. */
async function streamAfterLoad(d: CompletionDeps, c: RouteContext, model: CatalogEntry, body: Buffer, meter: CompletionMeter): Promise<void> {
  // Refused at once (queue full) is still a plain 503 with Retry-After, before any header is out.
  const waiting = d.scheduler.acquire(model, c.signal, c.client.priority);
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
  const slot = servingSlot(d, model);
  slot.inflight.track(c.res);
  d.scheduler.touch(model.id, c.res);
  try {
    const r = await d.ctx.http.request(slot.upstream(), c.path, { method: 'POST', body, headers: { 'content-type': 'application/json' }, timeoutMs: 3_600_000, signal: sse.signal });
    meter.answered();
    if (r.status !== 200) {
      let text = '';
      for await (const chunk of r.body) { text += chunk; if (text.length > 64_000) break; }
      r.body.destroy();
      c.res.write(text.trim().startsWith('{') && text.includes('"error"') ? `data: ${text.trim().replace(/\n/g, ' ')}\n\n` : sseError(new SparkError('VLLM_UPSTREAM', `vLLM answered ${r.status}`, { status: 502 })));
    } else {
      const tap = meter.sse();
      let complete = false;
      try {
        for await (const chunk of r.body) {
          if (c.res.destroyed) continue;
          const out = tap.data(chunk as Buffer) ?? (chunk as Buffer);
          if (out.length) c.res.write(out);
        }
        complete = true;
      } finally {
        const last = tap.end?.(complete && !c.res.destroyed);
        if (last?.length && !c.res.destroyed) c.res.write(last);
      }
    }
  } catch (e) {
    if (!sse.signal.aborted) c.res.write(sseError(e));
  } finally {
    sse.close();
  }
}
