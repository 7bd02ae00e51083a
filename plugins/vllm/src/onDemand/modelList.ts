import { z } from 'zod';
import { SparkError, type PluginContext, type RequestClient } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { Residency } from '../residency/residency.js';
import type { SwapController } from '../swap.js';
import { loadsOnRequest } from './resolve.js';
import type { OnDemandScheduler } from './scheduler.js';

export type OnDemandState = 'serving' | 'sleeping' | 'loading' | 'stopping' | 'stopped';

/** A catalog model's state as a request sees it, in whichever slot holds or loads it. */
export function modelState(m: CatalogEntry, residency: Residency, scheduler: OnDemandScheduler): OnDemandState {
  if (scheduler.loadingModelId === m.id) return 'loading';
  const states = residency.slots.map((s) => slotState(m, s));
  return (['serving', 'loading', 'stopping', 'sleeping'] as const).find((st) => states.includes(st)) ?? 'stopped';
}

function slotState(m: CatalogEntry, swap: SwapController): OnDemandState {
  const job = swap.lastJob;
  if (swap.running) {
    if (job?.state === 'running' && job.modelId === m.id && swap.busyJobId === job.id) return 'loading';
    if (swap.active?.modelId === m.id) return 'stopping';
  }
  if (swap.active?.modelId !== m.id) return 'stopped';
  return swap.active.asleep ? 'sleeping' : 'serving';
}

const upstreamList = z.object({ data: z.array(z.object({ id: z.string() }).passthrough()) });

/** GET /v1/models: every catalog model that a request may name (served, or loadable on request), each with its state
 *  and the names it answers to, as llama-swap lists its models; the served one carries vLLM's own fields. 503 with
 *  Retry-After when no model serves and none may load on request. A client with allow lists sees only the models it
 *  may use, and a model it may not load only while it is served. */
export async function listModels(ctx: PluginContext<VllmConfig>, residency: Residency, scheduler: OnDemandScheduler, catalog: CatalogEntry[], client?: RequestClient) {
  const cfg = ctx.config.get();
  const served = (m: CatalogEntry) => !!residency.holding(m.id);
  if (!catalog.some((m) => served(m) || loadsOnRequest(m, cfg))) throw new SparkError('VLLM_NOT_SERVING', 'no model is being served and none loads on request; swap to a model first', { status: 503, retryAfter: 30 });
  const mayLoad = (m: CatalogEntry) => loadsOnRequest(m, cfg) && (client?.allows('loadOnRequest', m.id) ?? true);
  const listed = catalog.filter((m) => (client?.allows('models', m.id) ?? true) && (served(m) || mayLoad(m)));
  // Each serving slot's own entry for its model (vLLM's fields: root, max_model_len…), asked side by side.
  const own = new Map<string, { entry: Record<string, unknown> | undefined; since: number }>();
  await Promise.all(residency.slots.filter((s) => s.active && !s.active.asleep && !s.running).map(async (s) => {
    const a = s.active!;
    const entry = await ctx.http.fetchJson(s.upstream(), '/v1/models', upstreamList, { timeoutMs: 3000 }).then((l) => l.data.find((d) => d.id === a.servedName), () => undefined);
    own.set(a.modelId, { entry, since: Math.floor((Date.parse(a.since) || Date.now()) / 1000) });
  }));
  return {
    object: 'list',
    data: listed.map((m) => {
      const state = modelState(m, residency, scheduler);
      const o = own.get(m.id);
      const since = o?.since ?? 0;
      const upstream = o?.entry;
      const own_ = state === 'serving' && upstream ? upstream : {};
      return { object: 'model', created: state === 'serving' ? since : 0, owned_by: 'spark-control', ...own_, id: m.servedName, state, catalog_id: m.id, aliases: m.aliases ?? [], queued: scheduler.queued(m.id), load_on_request: mayLoad(m) };
    }),
  };
}
