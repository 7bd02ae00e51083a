import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/**
 * Nothing is lost when a plugin crashes and is restarted: the kernel's crash path (Kernel.crashed, what the process
 * handlers call for an error in a plugin's context — tested with real throws in plugin-faults.test.ts) tears the
 * instance down and starts a new one, which re-reads what the old one persisted. vLLM: a swap in flight is
 * re-attached and reaches `active`, a catalog entry added before is still there; redaction: a map made before the
 * crash rehydrates after it. Meanwhile the crashed plugin's routes answer 503 with Retry-After.
 */
let k: TestKernel;
const json = { 'content-type': 'application/json' };
const post = (path: string, body: unknown) => k.fetch(path, { method: 'POST', headers: json, body: JSON.stringify(body) });

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm', 'redaction'], retryBaseMs: 1000, config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
});
afterAll(async () => { await k?.stop(); });

function crash(id: string): void {
  const r = k.kernel.get(id)!;
  k.kernel.crashed(r.scope!, new Error(`injected crash of ${id}`), 'a test');
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stateOf = async (id: string) => ((await (await k.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; error?: { code: string } }>).find((p) => p.id === id)!;

describe('a crashed plugin restarts on what it persisted', () => {
  it('vLLM: re-attaches to the swap in flight and keeps its catalog; its routes answer 503 with Retry-After meanwhile', async () => {
    expect((await post('/api/models', { id: 'crash-survivor', name: 'Survivor', servedName: 'survivor', repo: 'org/survivor' })).status).toBe(201);
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 2500 }));
    expect((await post('/api/swap', { model: 'qwen3-4b-instruct' })).status).toBe(202);
    await until('the model loading', async () => (['process', 'health', 'models'].includes((await (await k.fetch('/api/swap')).json()).job?.phase) ? true : undefined));
    crash('vllm');
    const failed = await stateOf('vllm');
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'SPK_PLUGIN_CRASHED' } });
    for (const path of ['/api/swap', '/v1/models', '/api/plugins/vllm/models']) {
      const r = await k.fetch(path);
      expect(r.status, path).toBe(503);
      expect(Number(r.headers.get('retry-after')), path).toBeGreaterThanOrEqual(1);
      expect((await r.json()).code).toBe('SPK_PLUGIN_NOT_RUNNING');
    }
    // The other plugin serves on.
    expect((await post('/scrub', { items: [{ id: 'a', text: 'Call Jane Doe.' }], ner: 'rules_only' })).status).toBe(200);
    await until('vllm running again', async () => ((await stateOf('vllm')).state === 'running' ? true : undefined));
    const s = await until('the swap active', async () => { const v = await (await k.fetch('/api/swap')).json(); return v.active ? v : undefined; });
    expect(s.active).toMatchObject({ modelId: 'qwen3-4b-instruct', servedName: 'qwen3-4b' });
    expect(s.job.logTail.join('\n')).toContain('re-attached');
    const ids = (await (await k.fetch('/api/models')).json()).models.map((m: { id: string }) => m.id);
    expect(ids).toContain('crash-survivor');
  }, 60_000);

  it('redaction: a map made before the crash rehydrates after the restart', async () => {
    const m = await (await post('/scrub', { items: [{ id: 'a', text: 'Call Jane Doe.' }], ner: 'rules_only' })).json();
    crash('redaction');
    const meanwhile = await post('/rehydrate', { map_handle: m.map_handle, items: [{ id: 'a', text: 'Hello [PERSON_1]' }] });
    expect(meanwhile.status).toBe(503);
    expect(Number(meanwhile.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await until('redaction running again', async () => ((await stateOf('redaction')).state === 'running' ? true : undefined));
    const r = await (await post('/rehydrate', { map_handle: m.map_handle, items: [{ id: 'a', text: 'Hello [PERSON_1]' }] })).json();
    expect(r.items[0].text).toBe('Hello Jane Doe');
  }, 30_000);
});
