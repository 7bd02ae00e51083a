import { describe, expect, it } from 'vitest';
import { parseVllmMetrics, tokensPerSecond } from './src/metrics.js';

// A cut of what vLLM 0.11 serves on /metrics: gauges and counters per model, histograms with buckets, a NaN.
const SCRAPE = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="qwen3-4b"} 3.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="qwen3-4b"} 1.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="qwen3-4b"} 0.4213
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="qwen3-4b"} 12345.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="qwen3-4b"} 6789.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="qwen3-4b"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="qwen3-4b"} 40.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="qwen3-4b"} 40.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="qwen3-4b"} 2.5
# HELP vllm:gpu_prefix_cache_hit_rate GPU prefix cache block hit rate.
# TYPE vllm:gpu_prefix_cache_hit_rate gauge
vllm:gpu_prefix_cache_hit_rate{engine="0",model_name="qwen3-4b"} NaN
`;

describe('vLLM metrics', () => {
  it('reads the tile figures from a real-shaped scrape', () => {
    expect(parseVllmMetrics(SCRAPE)).toEqual({ running: 3, waiting: 1, kvCachePct: 42.1, generationTokens: 6789, promptTokens: 12345 });
  });
  it('reads older names (gpu_cache_usage_perc) and sums engines', () => {
    const old = 'vllm:gpu_cache_usage_perc{model_name="m"} 0.5\nvllm:num_requests_running{engine="0"} 1\nvllm:num_requests_running{engine="1"} 2\n';
    expect(parseVllmMetrics(old)).toMatchObject({ kvCachePct: 50, running: 3, waiting: null });
  });
  it('gives no figures for text that is not Prometheus exposition, rather than throwing', () => {
    for (const garbage of ['', '<html>502 Bad Gateway</html>', 'vllm:num_requests_running{model_name="x" 3', '\u0000\u0001']) {
      const m = parseVllmMetrics(garbage);
      expect(m.running).toBeNull();
      expect(m.kvCachePct).toBeNull();
    }
  });
  it('has no token rate across a counter reset (a swap restarted vLLM)', () => {
    expect(tokensPerSecond({ at: 0, tokens: 100 }, { at: 2000, tokens: 300 })).toBe(100);
    expect(tokensPerSecond({ at: 0, tokens: 300 }, { at: 2000, tokens: 10 })).toBeNull();
  });
});
