import { z } from 'zod';
import type { PluginContext } from '@spark-control/plugin-api';
import { withActivityLog } from './activity/activityLog.js';
import type { VllmConfig } from './config.js';
import type { VllmCoordinator } from './coordinator.js';
import { modelNotAllowed, onDemandCompletion } from './onDemand/completions.js';
import { listModels } from './onDemand/modelList.js';
import { onDemandStatus } from './onDemand/status.js';
import { onDemandResponse } from './responses.js';
import { meterAnswer } from './usage/completionUsage.js';

/** What the OpenAI routes a client uses answer, for the API document (the catch-all `/v1/*rest` still proxies
 *  everything else vLLM serves). Bodies go to vLLM as sent: vLLM validates them. The schemas are documentation only
 *  (the proxy streams vLLM's answer through untouched). */
const usage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const modelList = z.object({
  object: z.literal('list'),
  // The served model's entry carries vLLM's own fields as vLLM lists them (open by design: they follow vLLM's version).
  data: z.array(z.object({
    id: z.string().describe('The servedName a request names'), object: z.literal('model'),
    created: z.number().int().describe('When the served model started (Unix seconds); 0 for a model not served'), owned_by: z.string(),
    root: z.string().optional(), max_model_len: z.number().int().optional(),
    state: z.enum(['serving', 'sleeping', 'loading', 'stopping', 'stopped']), catalog_id: z.string(),
    aliases: z.array(z.string()).describe('Other names a request may use for it'), queued: z.number().int().describe('Requests waiting for it to load'),
    load_on_request: z.boolean().describe('May a request from this client load it?'),
  }).loose()),
});
// vLLM's answer passes through untouched: it may carry more than these fields (system_fingerprint, logprobs,
// tool_calls, reasoning_content…, as its version has them), hence loose objects.
const chatCompletion = z.object({
  id: z.string(), object: z.literal('chat.completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), message: z.object({ role: z.literal('assistant'), content: z.string().nullable() }).loose(), finish_reason: z.string().nullable() }).loose()),
  usage: usage.loose().optional(),
}).loose();
const completion = z.object({
  id: z.string(), object: z.literal('text_completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() }).loose()),
  usage: usage.loose().optional(),
}).loose();

/** The response schemas of the OpenAI routes a client uses (documentation in the API document only). */
export const openAiSchemas = { modelList, chatCompletion, completion };

/** The OpenAI-compatible proxy to the served model under /v1 (a chat or completion naming another catalog model loads
 *  it first), and GET /ondemand, what loading on request is doing. */
export function registerOpenAiRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator): void {
  const { swap, onDemand, residency } = vllm;
  // Programs call every /v1 route to use the model: an `inference` key may (the catch-all proxy included).
  const v1 = withActivityLog(ctx, ctx.publicRoutes('/v1', { scope: 'inference' }));
  // During the owner's swap the list is 503 as every other /v1 path; during a load a request started, it says "loading".
  v1.add({ method: 'GET', path: '/models', errorStyle: 'openai', summary: 'Every catalog model a request may name, with its state (serving, loading, stopping, stopped); a client with allow lists sees the ones it may use', response: modelList }, (c) => {
    const j = swap.busyJobId ? ctx.jobs.get(swap.busyJobId) : undefined;
    if (j?.kind === 'vllm.swap' && !onDemand.startedByRequest(j.id)) vllm.busy();
    return listModels(ctx, residency, onDemand, vllm.catalog(), c.client);
  });
  ctx.routes.add({ method: 'GET', path: '/ondemand', summary: 'Loading on request: per model its state, queued requests, idle countdown, last cold load and wake, counters', response: onDemandResponse }, () => onDemandStatus(ctx.config.get(), residency, onDemand, vllm.catalog()));
  for (const path of ['/chat/completions', '/completions']) {
    v1.add({ method: 'POST', path, errorStyle: 'openai', bodyMode: 'raw', passthrough: true, maxBodyBytes: 32 * 1024 * 1024, summary: `${path === '/completions' ? 'Text' : 'Chat'} completion (OpenAI body; "stream": true answers server-sent events), from the model the body names, loaded on request when it is a catalog model that is not served`, response: path === '/completions' ? completion : chatCompletion }, (c) =>
      onDemandCompletion({ ctx, swap, residency, scheduler: onDemand, catalog: vllm.catalog, plainProxy: (cc, body, meter) => vllm.proxy(cc, body, meter) }, c));
  }
  v1.add({ method: 'GET', path: '/*rest', errorStyle: 'openai', bodyMode: 'raw' }, (c) => vllm.proxy(c));
  v1.add({ method: 'POST', path: '/*rest', errorStyle: 'openai', bodyMode: 'raw', passthrough: true, maxBodyBytes: 32 * 1024 * 1024 }, (c) => {
    // Whatever it names, the served model answers: a client whose allow list leaves it out may not reach it this way.
    if (swap.active && !c.client.allows('models', swap.active.modelId)) throw modelNotAllowed(swap.active.servedName, 'use');
    return vllm.proxy(c, undefined, meterAnswer(c, swap.active?.modelId ?? ''));
  });
}
