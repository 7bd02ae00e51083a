/** On-demand serving benchmark (issue 22), on the simulator, side by side in one run: (1) a request that has to switch
 *  models by waking a sleeping one vs by a cold start (fake vLLM: cold start 5 s, wake well under one); (2) the latency
 *  a queued request adds beyond the moment its model is ready (goal: p99 < 50 ms), against the same request sent
 *  once the model serves; (3) a mixed workload over three models for 30 s per policy: requests lost (goal 0) and loads
 *  per minute with minimum residency against a switch-on-every-request policy (residency 0, no drain), and with the three
 *  sharing the Spark within a memory budget (sampled: never exceeded). */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

const COLD_MS = 5000;
const k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, minResidencySec: 0, drainTimeoutSec: 2 } } } });
const root = k.sim!.hostRoot('spark-1');
writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: COLD_MS, tokenDelayMs: 1 }));
const json = { 'content-type': 'application/json' };
const add = (entry: object) => k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Bench', repo: 'Qwen/Qwen3-4B-Instruct-2507', ...entry }) });
await add({ id: 'cold-model', servedName: 'cold-model', idleTtlSec: 1 });
await add({ id: 'nap-model', servedName: 'nap-model', sleep: true, idleTtlSec: 1 });
const chat = (model: string) => k.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }) });
const swapState = async () => (await (await k.fetch('/api/swap')).json()) as { running: boolean; active: { modelId: string; asleep?: unknown } | null };
async function until(ok: (s: Awaited<ReturnType<typeof swapState>>) => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { const s = await swapState(); if (ok(s)) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error('timed out waiting for the model state');
}
async function timed(model: string): Promise<number> {
  const t0 = performance.now();
  const r = await chat(model);
  await r.text();
  if (r.status !== 200) throw new Error(`${model}: ${r.status}`);
  return performance.now() - t0;
}
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)];

// (1) Cold start (model stopped after its idle TTL) vs wake (model asleep after its idle TTL), three of each.
const cold: number[] = [];
const wake: number[] = [];
await timed('nap-model'); // its first load is cold; every later one wakes
for (let i = 0; i < 3; i++) {
  await until((s) => !!s.active?.asleep && !s.running);
  wake.push(await timed('nap-model'));
}
for (let i = 0; i < 3; i++) {
  // Each round starts from nothing served: the cold model stops after its TTL (the sleeping one is stopped by the switch).
  cold.push(await timed('cold-model'));
  await until((s) => !s.active && !s.running);
}

// (2) 20 requests queued while the cold model loads, timed against the moment the load job reported it ready.
const N = 20;
const doneAt: number[] = [];
const queued = Array.from({ length: N }, () => chat('cold-model').then(async (r) => { await r.text(); doneAt.push(Date.now()); return r.status; }));
const statuses = await Promise.all(queued);
const job = k.app.services.jobs.list({ kind: 'vllm.swap' }).at(-1)!;
const readyAt = Date.parse(job.endedAt!);
const added = doneAt.map((t) => t - readyAt);

// The same burst of N once the model serves: what N concurrent requests take anyway (one process runs client,
// kernel and fake vLLM), so the difference is what waiting in the queue added.
const t0 = Date.now();
const burst = await Promise.all(Array.from({ length: N }, () => chat('cold-model').then(async (r) => { await r.text(); return Date.now() - t0; })));

console.table([
  { switch: 'cold start', medianMs: Math.round(median(cold)), runs: cold.map(Math.round).join(', ') },
  { switch: 'wake (sleep level 2)', medianMs: Math.round(median(wake)), runs: wake.map(Math.round).join(', ') },
]);
console.log(`switch by wake vs cold start: ${(median(cold) / median(wake)).toFixed(1)}× faster (fake vLLM: cold start ${COLD_MS} ms)`);
console.table([
  { burst: `${N} queued during the load, from ready`, p50Ms: pct(added, 50), p99Ms: pct(added, 99) },
  { burst: `${N} sent while serving, from sent`, p50Ms: pct(burst, 50), p99Ms: pct(burst, 99) },
]);
// What waiting in the queue added: the queued burst's p99 from ready, less the same burst's p99 sent to the serving model.
console.log(`what the queue adds beyond the moment the model is ready: p99 ${pct(added, 99) - pct(burst, 99)} ms (goal < 50 ms): the queued burst's p99 from ready less the serving burst's p99 from sent`);
console.log(`a queued request, from its model being ready to its answer: p99 ${pct(added, 99)} ms (goal < 50 ms; includes answering the burst itself, which takes p99 ${pct(burst, 99)} ms sent to the serving model on fresh connections); ${statuses.filter((s) => s === 200).length}/${N} queued requests answered 200`);
// (3) Mixed traffic: three clients, each asking for one of three models at random every 250 ms, for 30 s per policy.
const MIX_MS = 30_000;
writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 800, tokenDelayMs: 1 }));
for (const id of ['mix-a', 'mix-b', 'mix-c']) await add({ id, servedName: id, memoryGB: 25 });
const launchesNow = () => k.app.services.jobs.list({ kind: 'vllm.swap' }).length;
const mixed: Array<Record<string, unknown>> = [];
for (const [policy, settings] of [['residency 5 s', { minResidencySec: 5, drainTimeoutSec: 2 }], ['switch on every request', { minResidencySec: 0, drainTimeoutSec: 0 }], ['three sharing a 90 GB budget', { minResidencySec: 5, drainTimeoutSec: 2, maxResident: 3, memoryBudgetGB: 90 }]] as const) {
  await k.fetch('/api/config/plugins/vllm', { method: 'PUT', headers: json, body: JSON.stringify({ readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, ...settings }) });
  // Sharing starts from empty Sparks: the model the last policy left was launched with vLLM's default 90% of the Spark.
  if ('maxResident' in settings) {
    const stop = await k.fetch('/api/plugins/vllm/residency/slots/1/stop', { method: 'POST' });
    if (stop.status === 202) await k.app.services.jobs.wait(((await stop.json()) as { id: string }).id);
  }
  const loads0 = launchesNow();
  const end = Date.now() + MIX_MS;
  let sent = 0;
  let lost = 0;
  const waits: number[] = [];
  // The memory budget, sampled every 500 ms: the most the resident models held, and how often it was exceeded.
  let samples = 0;
  let overBudget = 0;
  let peakHeldGB = 0;
  const sampler = setInterval(() => {
    void k.fetch('/api/plugins/vllm/residency').then((r) => r.json()).then((x: { sparks: Array<{ budgetBytes: number; freeBytes: number }> }) => {
      for (const sp of x.sparks) {
        samples++;
        peakHeldGB = Math.max(peakHeldGB, (sp.budgetBytes - sp.freeBytes) / 1e9);
        if (sp.freeBytes < 0) overBudget++;
      }
    }, () => undefined);
  }, 500);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  await Promise.all(Array.from({ length: 3 }, async () => {
    while (Date.now() < end && sent < 1000) {
      sent++;
      const model = ['mix-a', 'mix-b', 'mix-c'][Math.floor(rand() * 3)];
      const t0 = Date.now();
      const r = await k.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }), signal: AbortSignal.timeout(120_000) }).catch(() => undefined);
      if (r?.status !== 200) lost++;
      await r?.text().catch(() => undefined);
      waits.push(Date.now() - t0);
      await new Promise((res) => setTimeout(res, 250));
    }
  }));
  clearInterval(sampler);
  await until((s) => !s.running);
  const loads = launchesNow() - loads0;
  const shared = 'maxResident' in settings;
  mixed.push({ policy, requests: sent, lost, loads, loadsPerMin: +(loads / (MIX_MS / 60_000)).toFixed(1), p50WaitMs: pct(waits, 50), p99WaitMs: pct(waits, 99), budgetSamples: shared ? samples : '–', overBudget: shared ? overBudget : '–', peakHeldGB: shared ? +peakHeldGB.toFixed(0) : '–' });
}
console.table(mixed);

await k.stop();
