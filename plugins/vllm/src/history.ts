import type { PluginContext, UpstreamRef } from '@spark-control/plugin-api';
import { scrapeVllmMetrics, tokensPerSecond, type VllmMetrics } from './metrics.js';

/** What the plots of the served model draw: its /metrics scraped every 5 s while one is serving (the tile's own
 *  scrape is only while someone looks), and every swap marked on the time axis. */
export function recordVllmHistory(ctx: PluginContext, serving: () => { upstream: UpstreamRef; model: string } | undefined): void {
  let latest: (VllmMetrics & { tokensPerSecond: number | null; model: string; at: number }) | undefined;
  let last: { at: number; tokens: number | null } | undefined;
  const fresh = () => (latest && Date.now() - latest.at < 15_000 ? latest : undefined);
  const perModel = (pick: (m: NonNullable<typeof latest>) => number | null) => () => {
    const m = fresh();
    const v = m ? pick(m) : null;
    return m && v !== null ? [{ labels: { model: m.model }, value: v }] : null;
  };
  ctx.history.series({ name: 'requests_running', unit: 'requests', help: 'Requests the served model is running', sample: perModel((m) => m.running) });
  ctx.history.series({ name: 'requests_waiting', unit: 'requests', help: 'Requests waiting in vLLM', sample: perModel((m) => m.waiting) });
  ctx.history.series({ name: 'kv_cache', unit: '%', help: 'KV cache in use', sample: perModel((m) => m.kvCachePct) });
  ctx.history.series({ name: 'generation_tokens', unit: 'tokens/s', help: 'Tokens generated per second', sample: perModel((m) => m.tokensPerSecond) });

  ctx.lifecycle.onStart(() => {
    const job = ctx.jobs.schedule({
      name: 'history-scrape', everyMs: 5_000, timeoutMs: 4_000,
      run: async () => {
        const s = serving();
        if (!s) { latest = undefined; last = undefined; return; }
        const { metrics: m } = await scrapeVllmMetrics(ctx, s.upstream);
        if (!m) return;
        const now = { at: Date.now(), tokens: m.generationTokens };
        latest = { ...m, tokensPerSecond: tokensPerSecond(last, now), model: s.model, at: now.at };
        last = now;
      },
    });
    ctx.onDispose(() => job.stop());
  });

  ctx.events.on('vllm.swap.', (e) => {
    const d = (e.data ?? {}) as { modelId?: string; error?: string };
    if (e.type === 'vllm.swap.started') ctx.history.mark('swap', `swap to ${d.modelId ?? '?'} started`);
    else if (e.type === 'vllm.swap.active') ctx.history.mark('swap', `${d.modelId ?? '?'} serving`);
    else if (e.type === 'vllm.swap.failed') ctx.history.mark('swap', `swap to ${d.modelId ?? '?'} failed`);
  });
}
