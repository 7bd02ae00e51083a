import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
// Nothing served and nothing may load on request: the one case the OpenAI routes have nothing to offer (with loading on
// request, /v1/models lists the catalog instead, and a chat naming a catalog model loads it; see on-demand.test.ts).
beforeAll(async () => { k = await createTestKernel({ plugins: ['vllm'], simPreload: false, config: { plugins: { vllm: { loadOnRequest: false } } } }); });
afterAll(async () => { await k?.stop(); });

describe('the OpenAI routes while no model is served and none may load on request', () => {
  for (const [method, path] of [['GET', '/v1/models'], ['POST', '/v1/tokenize']] as const) {
    it(`${method} ${path}: 503 with Retry-After, saying no model is served (it was 502)`, async () => {
      const r = await k.fetch(path, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }] }) } : {}) });
      const body = await r.json() as { error: { code: string; message: string } };
      expect(r.status, JSON.stringify(body)).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(body.error.code).toBe('VLLM_NOT_SERVING');
      expect(body.error.message).toMatch(/no model/i);
    });
  }
});
