import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Loading on request as Prometheus sees it: loads by kind, the switch away from the resident model, waits. */
let k: TestKernel;
const base = { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, minResidencySec: 0, drainTimeoutSec: 2 };
const json = { 'content-type': 'application/json' };
const chat = (model: string) => k.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }) });
const metric = (text: string, name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } } });
  writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300, tokenDelayMs: 2 }));
  for (const id of ['metric-a', 'metric-b']) {
    const r = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id, name: id, servedName: id, repo: 'Qwen/Qwen3-4B-Instruct-2507', args: ['--max-model-len', '4096'], expectedLoadMinutes: 0.1 }) });
    expect(r.status).toBe(201);
  }
}, 60_000);
afterAll(async () => { await k?.stop(); });

describe('on-demand metrics', () => {
  it('count cold loads per model, the switch away from the resident one, and each waiting request\'s wait', async () => {
    const [a1, a2] = await Promise.all([chat('metric-a'), chat('metric-a')]);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    expect((await chat('metric-b')).status).toBe(200);
    const text = await (await k.fetch('/metrics')).text();
    expect(metric(text, 'spark_vllm_ondemand_loads_total', 'kind="cold",model="metric-a"')).toBe(1);
    expect(metric(text, 'spark_vllm_ondemand_loads_total', 'kind="cold",model="metric-b"')).toBe(1);
    expect(metric(text, 'spark_vllm_ondemand_evictions_total', 'for="metric-b",model="metric-a"')).toBe(1);
    // Two requests waited for metric-a (one load), one for metric-b.
    expect(metric(text, 'spark_vllm_ondemand_wait_ms_count', 'model="metric-a"')).toBe(2);
    expect(metric(text, 'spark_vllm_ondemand_wait_ms_count', 'model="metric-b"')).toBe(1);
    expect(metric(text, 'spark_vllm_ondemand_wait_ms_sum', 'model="metric-a"')).toBeGreaterThan(250);
    expect(text).not.toMatch(/^spark_vllm_ondemand_queued\{/m); // nobody waits now
  }, 60_000);
});
