import { describe, expect, it } from 'vitest';
import { Metrics } from '../../core/src/services/metrics/Metrics.js';

describe('Prometheus metrics', () => {
  it('counts requests per label set and fills cumulative duration buckets', () => {
    const m = new Metrics();
    m.observeHttp('vllm', 'POST', 200, 3);
    m.observeHttp('vllm', 'POST', 200, 30);
    m.observeHttp('vllm', 'POST', 502, 7000);
    m.observeUpstream('vllm', 200, 12);
    m.inc('spark_custom_total', 'custom', { kind: 'a"b' }, 2);
    const text = m.render();
    expect(text).toContain('spark_http_requests_total{method="POST",plugin="vllm",status="200"} 2');
    expect(text).toContain('spark_http_requests_total{method="POST",plugin="vllm",status="502"} 1');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="5"} 1');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="25"} 1');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="50"} 2');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="5000"} 2');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="10000"} 3');
    expect(text).toContain('spark_http_request_duration_ms_bucket{plugin="vllm",le="+Inf"} 3');
    expect(text).toContain('spark_http_request_duration_ms_sum{plugin="vllm"} 7033.000');
    expect(text).toContain('spark_upstream_requests_total{service="vllm",status="200"} 1');
    expect(text).toContain('spark_upstream_duration_ms_bucket{service="vllm",le="10"} 0');
    expect(text).toContain('spark_upstream_duration_ms_bucket{service="vllm",le="25"} 1');
    expect(text).toContain('spark_custom_total{kind="a\\"b"} 2');
  });
});
