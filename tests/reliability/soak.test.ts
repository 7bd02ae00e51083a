import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav } from '../../plugins/speech/sim/wav.js';

/** Bounded soak of mixed traffic against the simulator: chat streams, audio uploads, health polls, config reads and
 *  dashboard SSE clients at once. Fast subset in `npm test` (8 s); `npm run test:full` runs 5 minutes. Bounded in time
 *  AND count, and every request carries its own timeout (a hung request counts as an error, it cannot stall the run).
 *  RSS and FDs are those of this test process, which holds the kernel, the simulator and the clients: the bounds are
 *  for growth between the two halves of the run (steady state), generous enough for GC timing on a busy 2-core box. */
const FULL = process.env.SPARK_TEST_FULL === '1';
const SECONDS = FULL ? 300 : 8;
const MAX_REQUESTS = FULL ? 200_000 : 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm', 'speech', 'cluster'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 }, speech: { maxQueue: 64 } } } });
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 200, tokenDelayMs: 2 }));
  const job = await (await k.fetch('/api/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"qwen3-4b-instruct"}' })).json();
  await k.app.services.jobs.wait(job.id);
}, 60_000);
afterAll(async () => { await k?.stop(); });

const fds = () => readdirSync('/proc/self/fd').length;
const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] ?? 0;

describe('soak', () => {
  it(`serves mixed traffic for ${SECONDS} s without errors, leaks or hangs`, async () => {
    const wav = pcmWav(new Int16Array(16000), 16000, 1, { id: 'sctx', data: Buffer.from(JSON.stringify([{ word: 'hi', start: 0.1, end: 0.3, speaker: 'A' }])) });
    const start = { rss: process.memoryUsage().rss, fds: fds() };
    const lat: Record<string, number[]> = { chat: [], audio: [], health: [], config: [] };
    const t = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let errors = 0, served = 0, timeouts = 0;
    const errorKinds: Record<string, number> = {};
    const until = Date.now() + SECONDS * 1000;
    const go = () => Date.now() < until && served + errors < MAX_REQUESTS;
    const timed = async (kind: string, fn: () => Promise<Response>) => {
      const t0 = performance.now();
      try {
        const r = await fn();
        await r.arrayBuffer();
        if (r.ok) { served++; lat[kind].push(performance.now() - t0); } else { errors++; errorKinds[`${kind} ${r.status}`] = (errorKinds[`${kind} ${r.status}`] ?? 0) + 1; }
      } catch (e) {
        errors++;
        if ((e as Error).name === 'TimeoutError') timeouts++;
        errorKinds[`${kind} ${(e as Error).name}`] = (errorKinds[`${kind} ${(e as Error).name}`] ?? 0) + 1;
      }
    };
    // Dashboard-like SSE listeners for the whole run.
    const sse = Array.from({ length: 20 }, () => { const ac = new AbortController(); void k.fetch('/api/events', { signal: ac.signal }).then((r) => r.body!.pipeTo(new WritableStream())).catch(() => {}); return ac; });
    // Two equal phases: pools (keep-alive sockets of the clients, the kernel's upstream agents and the in-process fakes)
    // fill up in the first; in steady state the second must not grow them further.
    const phaseEnd = Date.now() + (SECONDS * 1000) / 2;
    const goA = () => Date.now() < phaseEnd && served + errors < MAX_REQUESTS / 2;
    const runPhase = (g: () => boolean) => {
      const loop = async (fn: () => Promise<void>) => { while (g()) await fn(); };
      const chatOnce = () => timed('chat', () => k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', stream: true, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), signal: t() }));
      const audioOnce = () => { const fd = new FormData(); fd.append('file', new Blob([new Uint8Array(wav)]), 'a.wav'); return timed('audio', () => k.fetch('/v1/audio/transcriptions', { method: 'POST', body: fd, signal: t() })); };
      const healthOnce = () => timed('health', () => k.fetch('/health', { signal: t() }));
      const configOnce = () => timed('config', () => k.fetch('/api/config', { signal: t() }));
      return Promise.all([loop(chatOnce), loop(chatOnce), loop(chatOnce), loop(chatOnce), loop(audioOnce), loop(audioOnce), loop(healthOnce), loop(configOnce)]);
    };
    await runPhase(goA);
    const mid = { rss: process.memoryUsage().rss, fds: fds() };
    const sseDuring = k.app.services.events.subscriberCount;
    await runPhase(go);
    sse.forEach((a) => a.abort());
    // Sockets of the last requests and the aborted SSE streams close asynchronously: settle (bounded) before counting,
    // so a busy machine does not turn a closing socket into a "leak".
    for (let i = 0; i < 20 && k.app.services.events.subscriberCount >= 5; i++) await new Promise((r) => setTimeout(r, 100));
    let endFds = fds();
    for (let i = 0; i < 10 && endFds > mid.fds; i++) { await new Promise((r) => setTimeout(r, 200)); endFds = Math.min(endFds, fds()); }
    const end = { rss: process.memoryUsage().rss, fds: endFds };
    const summary = {
      seconds: SECONDS, served, errors, timeouts, errorKinds, byKind: Object.fromEntries(Object.entries(lat).map(([kk, v]) => [kk, v.length])), sseDuring,
      p99ms: Object.fromEntries(Object.entries(lat).map(([kk, v]) => [kk, +pct(v, 99).toFixed(1)])),
      rssMB: [start.rss, mid.rss, end.rss].map((x) => +(x / 1048576).toFixed(0)), fds: [start.fds, mid.fds, end.fds],
    };
    console.log(`[soak] ${JSON.stringify(summary)}`);
    expect(errors, JSON.stringify(errorKinds)).toBe(0);
    expect(sseDuring).toBeGreaterThanOrEqual(20); // the dashboard-like listeners were really connected
    for (const [kind, v] of Object.entries(lat)) expect(v.length, kind).toBeGreaterThan(5); // every kind of traffic ran
    expect(served).toBeGreaterThan(50);
    expect(end.fds - mid.fds).toBeLessThan(15); // steady state: pools are full, nothing accumulates
    expect((end.rss - mid.rss) / 1048576).toBeLessThan(FULL ? 100 : 60);
    expect(k.app.services.events.subscriberCount).toBeLessThan(5);
  }, (SECONDS + 60) * 1000);
});
