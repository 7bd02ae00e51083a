import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { benchmarkPrompt } from './src/benchmark/prompts.js';
import { percentile } from './src/benchmark/runLevel.js';

const config = { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } };
let k: TestKernel;
const post = (path: string, body: unknown) => k.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const bench = (body: unknown) => post('/api/plugins/vllm/benchmarks', body);
const list = async (q = '') => {
  const r = await k.fetch(`/api/plugins/vllm/benchmarks${q}`);
  expect(r.status, q).toBe(200);
  return r.json() as Promise<{ runs: Array<Record<string, any>>; running: unknown }>;
};

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config });
  writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300, tokenDelayMs: 5 }));
}, 60_000);
afterAll(async () => { await k?.stop(); if (k) rmSync(k.dataDir, { recursive: true, force: true }); });

describe('benchmark runs of the served model', () => {
  it('is a 409 while no model is served, and nothing is stored', async () => {
    const r = await bench({ concurrency: [1], count: 1, maxTokens: 2 });
    expect(r.status).toBe(409);
    expect((await r.json()).code).toBe('VLLM_NOTHING_SERVED');
    expect((await list()).runs).toEqual([]);
  });

  it('refuses a bad body naming the field, an unknown field by its name', async () => {
    const cases: Array<[unknown, string]> = [
      [{ concurrency: [0] }, 'concurrency.0'], [{ concurrency: [] }, 'concurrency'], [{ concurrency: [1, 1] }, 'concurrency'],
      [{ concurrency: [1000] }, 'concurrency.0'], [{ count: 0 }, 'count'], [{ count: 1.5 }, 'count'], [{ maxTokens: 100_000 }, 'maxTokens'],
      [{ maxTokens: '8' }, 'maxTokens'], [{ concurency: [1] }, 'concurency'], [{ max_tokens: 8 }, 'max_tokens'],
    ];
    for (const [body, field] of cases) {
      const r = await bench(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field), JSON.stringify(body)).toContain(field);
    }
    for (const q of ['?model=../x', '?model=']) expect((await k.fetch(`/api/plugins/vllm/benchmarks${q}`)).status, q).toBe(400);
    expect((await k.fetch('/api/plugins/vllm/benchmarks/nope', { method: 'DELETE' })).status).toBe(400);
  });

  it('runs the fixed prompts at each concurrency and stores the figures vLLM\'s usage gave, with the launch args and version', async () => {
    const s = await post('/api/plugins/vllm/swap', { model: 'qwen3-4b-instruct' });
    expect((await k.app.services.jobs.wait((await s.json()).id)).state).toBe('succeeded');
    // What the fake answers for each prompt, asked the ordinary way: the benchmark must report the same tokens.
    const usageOf = async (i: number) => (await (await post('/v1/chat/completions', { model: 'qwen3-4b', messages: [{ role: 'user', content: benchmarkPrompt(i) }], max_tokens: 4 })).json()).usage;
    const usages = await Promise.all([0, 1, 2, 3].map(usageOf));

    const r = await bench({ concurrency: [1, 4], count: 4, maxTokens: 4 });
    expect(r.status).toBe(202);
    const job = await r.json();
    expect(job.kind).toBe('vllm.benchmark');
    const busy = await bench({ concurrency: [1], count: 1 });
    expect(busy.status).toBe(409);
    expect((await busy.json()).code).toBe('VLLM_BENCHMARK_RUNNING');
    const done = await k.app.services.jobs.wait(job.id);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    const run = done.result as Record<string, any>;
    expect(run).toMatchObject({ modelId: 'qwen3-4b-instruct', servedName: 'qwen3-4b', vllmVersion: '0.12.0', settings: { concurrency: [1, 4], count: 4, maxTokens: 4 } });
    expect(run.launch).toEqual({ args: ['--max-model-len', '32768', '--gpu-memory-utilization', '0.5'], image: 'vllm-node', tensorParallel: 1, maxModelLen: 32768, source: 'swap' });
    expect(run.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 4]);
    for (const l of run.levels) {
      expect(l).toMatchObject({ requests: 4, ok: 4, errors: 0 });
      expect(l.generationTokens).toBe(usages.reduce((a, u) => a + u.completion_tokens, 0));
      expect(l.promptTokens).toBe(usages.reduce((a, u) => a + u.prompt_tokens, 0));
      expect(Math.abs(l.generationTokensPerSec / (l.generationTokens / (l.wallMs / 1000)) - 1)).toBeLessThan(0.05);
      expect(l.ttftMs.p50).toBeGreaterThan(0);
      expect(l.ttftMs.p99).toBeGreaterThanOrEqual(l.ttftMs.p50);
      // 4 tokens 5 ms apart: the last arrives at least ~15 ms after the first.
      expect(l.latencyMs.p50).toBeGreaterThan(l.ttftMs.p50 + 10);
    }
    // Four at once finish in about the time of one: the level's wall time is well under four sequential requests.
    expect(run.levels[1].wallMs).toBeLessThan(run.levels[0].wallMs);
    const listed = await list('?model=qwen3-4b-instruct');
    expect(listed.runs.map((x) => x.id)).toEqual([run.id]);
    expect(listed.running).toBeNull();
    expect((await list('?model=gpt-oss-20b')).runs).toEqual([]);
  }, 60_000);

  it('cancels with the job, stores nothing then, and a swap cancels a running benchmark', async () => {
    const before = (await list()).runs.length;
    const r = await bench({ concurrency: [1], count: 200, maxTokens: 50 });
    expect(r.status).toBe(202);
    const job = await r.json();
    await new Promise((res) => setTimeout(res, 300));
    expect((await k.fetch(`/api/jobs/${job.id}/cancel`, { method: 'POST' })).status).toBe(200);
    const ended = await k.app.services.jobs.wait(job.id);
    expect(ended.state).toBe('cancelled');
    expect((await list()).runs.length).toBe(before);

    const again = await (await bench({ concurrency: [1], count: 200, maxTokens: 50 })).json();
    await new Promise((res) => setTimeout(res, 300));
    const swap = await post('/api/plugins/vllm/swap', { model: 'qwen3-4b-instruct' });
    expect(swap.status).toBe(202);
    expect((await k.app.services.jobs.wait(again.id)).state).toBe('cancelled');
    const swapped = await k.app.services.jobs.wait((await swap.json()).id);
    expect(swapped.state).toBe('succeeded');
    // While a swap runs, a benchmark is refused.
    const s2 = await post('/api/plugins/vllm/swap', { model: 'qwen3-4b-instruct' });
    const during = await bench({ concurrency: [1], count: 1 });
    expect(during.status).toBe(409);
    expect((await during.json()).code).toBe('VLLM_SWAP_IN_PROGRESS');
    await k.app.services.jobs.wait((await s2.json()).id);
    expect((await list()).runs.length).toBe(before);
  }, 60_000);

  it('records the args the swap launched, not a catalog edit made since', async () => {
    const edited = ['--max-model-len', '32768', '--gpu-memory-utilization', '0.7'];
    const put = await k.fetch('/api/plugins/vllm/models/qwen3-4b-instruct', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Qwen3 4B Instruct 2507', repo: 'Qwen/Qwen3-4B-Instruct-2507', servedName: 'qwen3-4b', args: edited, expectedLoadMinutes: 4 }) });
    expect(put.status).toBe(200);
    const runOnce = async () => {
      const done = await k.app.services.jobs.wait((await (await bench({ concurrency: [1], count: 1, maxTokens: 2 })).json()).id);
      expect(done.state).toBe('succeeded');
      return (done.result as Record<string, any>).launch;
    };
    expect(await runOnce()).toMatchObject({ args: ['--max-model-len', '32768', '--gpu-memory-utilization', '0.5'], source: 'swap' });
    const s = await post('/api/plugins/vllm/swap', { model: 'qwen3-4b-instruct' });
    expect((await k.app.services.jobs.wait((await s.json()).id)).state).toBe('succeeded');
    expect(await runOnce()).toMatchObject({ args: edited, source: 'swap' });
  }, 60_000);

  it('keeps runs across a restart, and deletes one', async () => {
    const runs = (await list()).runs;
    expect(runs).toHaveLength(3);
    const run = runs[2];
    await k.stop({ keepData: true });
    k = await createTestKernel({ plugins: ['vllm'], dataDir: k.dataDir, config });
    const after = await list();
    expect(after.runs.map((x) => x.id)).toEqual(runs.map((x) => x.id));
    expect(after.runs[2].levels).toEqual(run.levels);
    const del = await k.fetch(`/api/plugins/vllm/benchmarks/${run.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await list()).runs.map((x) => x.id)).toEqual(runs.slice(0, 2).map((x) => x.id));
    expect((await k.fetch(`/api/plugins/vllm/benchmarks/${run.id}`, { method: 'DELETE' })).status).toBe(404);
  }, 60_000);
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile([1, 2, 3, 1000], 99)).toBe(1000);
  });
});
