import type { PluginContext, UpstreamRef } from '@spark-control/plugin-api';
import { scrapeVllmMetrics, tokensPerSecond, type VllmMetrics } from './metrics.js';

/** A model serving now: where its vLLM answers and the name its series are labelled with. */
export interface ServingModel { upstream: UpstreamRef; model: string }
type Scrape = VllmMetrics & { tokensPerSecond: number | null; at: number };

/** What the plots of the served models draw: each serving model's /metrics scraped every 5 s (every slot when models
 *  share the Sparks; the tile's own scrape is only while someone looks), and every swap, load, sleep, wake, stop and
 *  eviction marked on the time axis. */
export function recordVllmHistory(ctx: PluginContext, serving: () => ServingModel[]): void {
  const latest = new Map<string, Scrape>();
  const fresh = () => [...latest.entries()].filter(([, m]) => Date.now() - m.at < 15_000);
  const perModel = (pick: (m: Scrape) => number | null) => () => {
    const sets = fresh().flatMap(([model, m]) => { const v = pick(m); return v === null ? [] : [{ labels: { model }, value: v }]; });
    return sets.length ? sets : null;
  };
  ctx.history.series({ name: 'requests_running', unit: 'requests', help: 'Requests the served model is running', sample: perModel((m) => m.running) });
  ctx.history.series({ name: 'requests_waiting', unit: 'requests', help: 'Requests waiting in vLLM', sample: perModel((m) => m.waiting) });
  ctx.history.series({ name: 'kv_cache', unit: '%', help: 'KV cache in use', sample: perModel((m) => m.kvCachePct) });
  ctx.history.series({ name: 'generation_tokens', unit: 'tokens/s', help: 'Tokens generated per second', sample: perModel((m) => m.tokensPerSecond) });

  const scrapeOne = async (s: ServingModel) => {
    const { metrics: m } = await scrapeVllmMetrics(ctx, s.upstream);
    if (!m) return;
    const prev = latest.get(s.model);
    const now = { at: Date.now(), tokens: m.generationTokens };
    latest.set(s.model, { ...m, tokensPerSecond: tokensPerSecond(prev && { at: prev.at, tokens: prev.generationTokens }, now), at: now.at });
  };
  ctx.lifecycle.onStart(() => {
    const job = ctx.jobs.schedule({
      name: 'history-scrape', everyMs: 5_000, timeoutMs: 4_000,
      run: async () => {
        const now = serving();
        // A model no longer served keeps no rate base: served again later, its first rate would span the gap.
        for (const model of latest.keys()) if (!now.some((s) => s.model === model)) latest.delete(model);
        // One slow or failing vLLM does not cost the others their sample.
        const failed = (await Promise.allSettled(now.map(scrapeOne))).filter((r) => r.status === 'rejected');
        if (failed.length) throw (failed[0] as PromiseRejectedResult).reason;
      },
    });
    ctx.onDispose(() => job.stop());
  });

  ctx.events.on('vllm.', (e) => {
    const text = markText(e.type, (e.data ?? {}) as MarkData);
    if (text) ctx.history.mark(text.kind, text.text);
  });
}

interface MarkData { modelId?: string; kind?: string; action?: string; for?: string; level?: number; ms?: number; reason?: string }

/** The events an owner wants to see on the time axis, as the mark's kind and hover text (undefined: not marked). */
export function markText(type: string, d: MarkData): { kind: string; text: string } | undefined {
  const m = d.modelId ?? '?';
  switch (type) {
    case 'vllm.swap.started': return { kind: 'swap', text: `swap to ${m} started` };
    case 'vllm.swap.active': return { kind: 'swap', text: `${m} serving` };
    case 'vllm.swap.failed': return { kind: 'swap', text: `swap to ${m} failed` };
    case 'vllm.swap.asleep': return { kind: 'sleep', text: `${m} put to sleep (level ${d.level ?? '?'})` };
    case 'vllm.swap.woke': return { kind: 'wake', text: `${m} woke${d.ms !== undefined ? ` in ${(d.ms / 1000).toFixed(1)} s` : ''}` };
    case 'vllm.swap.unloaded': return { kind: 'stop', text: `${m} stopped${d.reason ? `: ${d.reason}` : ''}` };
    case 'vllm.ondemand.load': return { kind: 'load', text: `${m} loading on request (${d.kind === 'wake' ? 'wake' : 'cold start'})` };
    case 'vllm.ondemand.evicted': return { kind: 'evict', text: `${m} ${d.action === 'sleep' ? 'put to sleep' : 'stopped'} to make room for ${d.for ?? '?'}` };
    default: return undefined;
  }
}
