import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import type { PluginContext, UpstreamRef } from '@spark-control/plugin-api';
/** Reads the few vLLM Prometheus metrics the tile shows (names vary across versions: parse tolerantly). */
export interface VllmMetrics { running: number | null; waiting: number | null; kvCachePct: number | null; generationTokens: number | null; promptTokens: number | null }

/** vLLM's /metrics read with parse-prometheus-text-format (it replaced a hand-written line regex); text it cannot
 *  parse gives no figures rather than an error, as a scrape of a starting server may be cut short. */
export function parseVllmMetrics(text: string): VllmMetrics {
  let families: PrometheusFamily[] = [];
  try { families = parsePrometheusTextFormat(text); } catch { /* not Prometheus text: every figure unknown */ }
  const sum = (names: string[]): number | null => {
    let total: number | null = null;
    for (const f of families) {
      if (!names.includes(f.name)) continue;
      for (const m of f.metrics) {
        const v = Number(m.value);
        if (m.value !== undefined && Number.isFinite(v)) total = (total ?? 0) + v;
      }
    }
    return total;
  };
  const kv = sum(['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']);
  return {
    running: sum(['vllm:num_requests_running']),
    waiting: sum(['vllm:num_requests_waiting']),
    kvCachePct: kv === null ? null : Math.round(kv * 1000) / 10,
    generationTokens: sum(['vllm:generation_tokens_total', 'vllm:generation_tokens']),
    promptTokens: sum(['vllm:prompt_tokens_total', 'vllm:prompt_tokens']),
  };
}

/** Tokens/s from two scrapes; a counter that went down means vLLM restarted (swap), so no rate. */
export function tokensPerSecond(prev: { at: number; tokens: number | null } | undefined, cur: { at: number; tokens: number | null }): number | null {
  if (!prev || prev.tokens === null || cur.tokens === null || cur.at <= prev.at || cur.tokens < prev.tokens) return null;
  return Math.round(((cur.tokens - prev.tokens) / ((cur.at - prev.at) / 1000)) * 10) / 10;
}

/** Scrapes vLLM's /metrics once (3 s timeout): its status and, on 200, the figures. */
export async function scrapeVllmMetrics(ctx: Pick<PluginContext, 'http'>, upstream: UpstreamRef): Promise<{ status: number; metrics?: VllmMetrics }> {
  const res = await ctx.http.request(upstream, '/metrics', { timeoutMs: 3_000 });
  const text = await new Promise<string>((resolve, reject) => { let t = ''; res.body.on('data', (d) => (t += d)).on('end', () => resolve(t)).on('error', reject); });
  return res.status === 200 ? { status: 200, metrics: parseVllmMetrics(text) } : { status: res.status };
}
