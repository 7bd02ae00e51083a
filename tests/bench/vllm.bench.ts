/** vLLM plugin benchmark: (1) time from the simulated model becoming ready to the swap job reporting `active`
 *  (target: under one readiness poll interval, with the interval itself ≤ 2 s); (2) proxy overhead on a streamed
 *  completion vs calling the fake vLLM directly (time to first token and total, ratio). */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

const POLL_MS = 1000;
const k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: POLL_MS, memoryFloorPct: 1 } } } });
const root = k.sim!.hostRoot('spark-1');
writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 3000, tokenDelayMs: 5 }));
const lags: number[] = [];
for (const model of ['qwen3-4b-instruct', 'gpt-oss-20b', 'qwen3-4b-instruct']) {
  const job = await (await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }) })).json();
  const done = await k.app.services.jobs.wait(job.id);
  const c = JSON.parse(readFileSync(join(root, 'state/containers/vllm_node.json'), 'utf8'));
  const readyAt = Date.parse(c.Exec.at) + 3000;
  lags.push(Date.parse(done.endedAt!) - readyAt);
}
const port = k.sim!.servicePorts.vllm.port;
async function stream(base: string) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', stream: true, max_tokens: 32, messages: [{ role: 'user', content: 'hello there' }] }) });
  const reader = res.body!.getReader();
  let first = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!first && new TextDecoder().decode(value).includes('"content":"')) first = performance.now() - t0;
  }
  return { ttft: first, total: performance.now() - t0 };
}
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const runs = { direct: [] as Array<{ ttft: number; total: number }>, spark: [] as Array<{ ttft: number; total: number }> };
for (let i = 0; i < 30; i++) {
  runs.direct.push(await stream(`http://127.0.0.1:${port}`));
  runs.spark.push(await stream(k.url));
}
const row = (name: 'direct' | 'spark') => ({ path: name, ttftMs: +median(runs[name].map((r) => r.ttft)).toFixed(2), totalMs: +median(runs[name].map((r) => r.total)).toFixed(2) });
console.log(`ready → active lag per swap (ms): ${lags.join(', ')}; readiness poll interval ${POLL_MS} ms; all under one interval: ${lags.every((l) => l < POLL_MS)}`);
console.table([row('direct'), row('spark')]);
console.log(`TTFT ratio spark/direct ${(row('spark').ttftMs / row('direct').ttftMs).toFixed(2)}, total ratio ${(row('spark').totalMs / row('direct').totalMs).toFixed(3)}, added TTFT ${(row('spark').ttftMs - row('direct').ttftMs).toFixed(2)} ms`);
await k.stop();
