import { describe, expect, it } from 'vitest';
import { Metrics } from '../../core/src/services/metrics/Metrics.js';

/** The exposition's samples as {name, labels, value}, label order and number formatting aside. */
function samples(text: string) {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    return { name: m[1], labels, value: Number(m[3]) };
  });
}
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  return samples(text).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value;
}

describe('Prometheus metrics', () => {
  it('counts requests per label set and fills cumulative duration buckets', async () => {
    const m = new Metrics();
    m.observeHttp('vllm', 'POST', 200, 3);
    m.observeHttp('vllm', 'POST', 200, 30);
    m.observeHttp('vllm', 'POST', 502, 7000);
    m.observeUpstream('vllm', 200, 12);
    m.inc('spark_custom_total', 'custom', { kind: 'a"b' }, 2);
    const text = await m.render();
    expect(value(text, 'spark_http_requests_total', { method: 'POST', plugin: 'vllm', status: '200' })).toBe(2);
    expect(value(text, 'spark_http_requests_total', { method: 'POST', plugin: 'vllm', status: '502' })).toBe(1);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '5' })).toBe(1);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '25' })).toBe(1);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '50' })).toBe(2);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '5000' })).toBe(2);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '10000' })).toBe(3);
    expect(value(text, 'spark_http_request_duration_ms_bucket', { plugin: 'vllm', le: '+Inf' })).toBe(3);
    expect(value(text, 'spark_http_request_duration_ms_sum', { plugin: 'vllm' })).toBe(7033);
    expect(value(text, 'spark_upstream_requests_total', { service: 'vllm', status: '200' })).toBe(1);
    expect(value(text, 'spark_upstream_duration_ms_bucket', { service: 'vllm', le: '10' })).toBe(0);
    expect(value(text, 'spark_upstream_duration_ms_bucket', { service: 'vllm', le: '25' })).toBe(1);
    expect(value(text, 'spark_custom_total', { kind: 'a"b' })).toBe(2);
    expect(text).toContain('spark_custom_total{kind="a\\"b"} 2');
  });

  it('reads gauges at scrape time, with label names that appear only later', async () => {
    const m = new Metrics();
    let states: Array<[Record<string, string>, number]> = [];
    m.gauge('spark_plugins', 'Plugins by state', () => states);
    expect(await m.render()).toContain('# TYPE spark_plugins gauge');
    states = [[{ state: 'running' }, 5], [{ state: 'failed' }, 1]];
    let text = await m.render();
    expect(value(text, 'spark_plugins', { state: 'running' })).toBe(5);
    expect(value(text, 'spark_plugins', { state: 'failed' })).toBe(1);
    states = [[{ state: 'running' }, 6]];
    text = await m.render();
    expect(value(text, 'spark_plugins', { state: 'running' })).toBe(6);
    expect(value(text, 'spark_plugins', { state: 'failed' })).toBeUndefined();
  });
});
