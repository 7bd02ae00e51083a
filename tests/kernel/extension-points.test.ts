import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineSparkPlugin, type JobSnapshot } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { vllmChatPoint, vllmSwapPoint, type VllmChat } from '../../plugins/vllm/index.js';
import { createChatPoint } from '../../plugins/vllm/src/chatPoint.js';
import { InflightRequests } from '../../plugins/vllm/src/inflight.js';
import { chatPoint as redactionChatPoint, type ChatPoint as RedactionChatPoint } from '../../plugins/redaction/src/chatPoint.js';

// Plugins talk through declared extension points, never through each other's folders: redaction declares the chat
// point it consumes by id and shape. This line stops compiling the day vLLM's provider no longer satisfies it.
const vllmSatisfiesRedaction: (p: VllmChat) => RedactionChatPoint = (p) => p;

describe("vLLM's chat point", () => {
  it('is the point redaction consumes (same id, compatible shape)', () => {
    expect(redactionChatPoint.id).toBe(vllmChatPoint.id);
    expect(typeof vllmSatisfiesRedaction).toBe('function');
  });

  it('waits for a running swap, gives up at its timeout, and counts begun requests in the drain', async () => {
    const swap = { running: true, upstream: () => ({ service: 'vllm', hostId: 'spark-1', baseUrl: 'http://127.0.0.1:1' }) };
    const inflight = new InflightRequests();
    const point = createChatPoint({ swap, inflight, pollMs: 10 });
    expect(point.swapping()).toBe(true);
    expect(await point.waitForSwap({ timeoutMs: 40 })).toBe(false);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    expect(await point.waitForSwap({ timeoutMs: 5000, signal: ac.signal })).toBe(false);
    setTimeout(() => { swap.running = false; }, 30);
    expect(await point.waitForSwap({ timeoutMs: 5000 })).toBe(true);

    const release = point.begin();
    point.begin()(); // a second request that already finished
    expect(inflight.size).toBe(1);
    let drained: number | undefined;
    const draining = inflight.drain(5000, new AbortController().signal).then((n) => { drained = n; });
    await new Promise((r) => setTimeout(r, 30));
    expect(drained).toBeUndefined(); // the drain waits for the begun request
    release();
    release(); // idempotent: the count never goes below what is in flight
    await draining;
    expect(drained).toBe(0);
    expect(inflight.size).toBe(0);
  });
});

describe('a plugin taps beforeSwap/afterSwap and holds a chat across a swap', () => {
  let k: TestKernel;
  const heard: Array<{ modelId: string; ok: boolean; swappingDuringVeto: boolean }> = [];
  let busy = true;
  let swappingSeen = false;
  let hold: (() => void) | undefined;

  const watcher = defineSparkPlugin({
    manifest: { id: 'swap-watch', name: 'Swap watch', version: '1.0.0', apiVersion: '^2.0.0', after: ['vllm'] },
    configSchema: z.object({}),
    register(ctx) {
      ctx.lifecycle.onStart(() => {
        const hooks = ctx.use(vllmSwapPoint);
        if (!hooks) throw new Error('vllm provides no swap point');
        hooks.beforeSwap.tapPromise('swap-watch', async () => {
          swappingSeen = ctx.use(vllmChatPoint)?.swapping() ?? false;
          return busy ? { reason: 'a transcription is running' } : undefined;
        });
        hooks.afterSwap.tapPromise('swap-watch', async (r) => { heard.push({ modelId: r.modelId, ok: r.ok, swappingDuringVeto: swappingSeen }); });
      });
      ctx.routes.add({ method: 'POST', path: '/hold' }, () => { hold = ctx.use(vllmChatPoint)!.begin(); return { held: true }; });
      ctx.routes.add({ method: 'POST', path: '/release' }, () => { hold?.(); return { released: true }; });
    },
  });

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm', watcher], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, drainTimeoutSec: 20 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
  });
  afterAll(async () => { await k?.stop(); });

  const swapTo = async (model: string): Promise<string> => {
    const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }) });
    expect(r.status).toBe(202);
    return (await r.json()).id as string;
  };
  const job = (id: string): JobSnapshot => k.app.services.jobs.get(id)!;

  it('beforeSwap vetoes with its reason while the tapping plugin is busy; afterSwap hears the failed swap', async () => {
    const s = await k.app.services.jobs.wait(await swapTo('qwen3-4b-instruct'));
    expect(s.state).toBe('failed');
    expect(s.error).toMatchObject({ code: 'VLLM_SWAP_VETOED', message: 'swap refused: a transcription is running' });
    expect(swappingSeen).toBe(true); // the chat point says a swap is running while the hooks run
    expect(heard).toEqual([{ modelId: 'qwen3-4b-instruct', ok: false, swappingDuringVeto: true }]);
    heard.length = 0;
  });

  it('once it allows the swap, the swap drains a chat held through the chat point, then afterSwap hears the outcome', async () => {
    busy = false;
    expect((await k.fetch('/api/plugins/swap-watch/hold', { method: 'POST' })).status).toBe(200);
    const id = await swapTo('qwen3-4b-instruct');
    const end = Date.now() + 10_000;
    while (!job(id).logTail.some((l) => l.includes('1 request(s) in flight')) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(job(id).logTail.join('\n')).toContain('for 1 request(s) in flight to finish');
    expect(job(id).state).toBe('running'); // still draining: the held chat has not finished
    await k.fetch('/api/plugins/swap-watch/release', { method: 'POST' });
    const s = await k.app.services.jobs.wait(id);
    expect(s.state).toBe('succeeded');
    expect(heard).toEqual([{ modelId: 'qwen3-4b-instruct', ok: true, swappingDuringVeto: true }]);
  });
});
