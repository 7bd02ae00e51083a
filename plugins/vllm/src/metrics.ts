/** Reads the few vLLM Prometheus metrics the tile shows (names vary across versions: parse tolerantly). */
export interface VllmMetrics { running: number | null; waiting: number | null; kvCachePct: number | null; generationTokens: number | null; promptTokens: number | null }

export function parseVllmMetrics(text: string): VllmMetrics {
  const sum = (names: string[]): number | null => {
    let total: number | null = null;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)/.exec(line);
      if (m && names.includes(m[1]) && m[3] !== 'NaN') total = (total ?? 0) + Number(m[3]);
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
