import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['vllm'], simPreload: false }); });
afterAll(async () => { await k?.stop(); });

describe('the OpenAI routes while no model is served', () => {
  for (const [method, path] of [['GET', '/v1/models'], ['POST', '/v1/chat/completions']] as const) {
    it(`${method} ${path}: 503 with Retry-After, saying no model is served (it was 502)`, async () => {
      const r = await k.fetch(path, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }) } : {}) });
      const body = await r.json() as { error: { code: string; message: string } };
      expect(r.status, JSON.stringify(body)).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(body.error.code).toBe('VLLM_NOT_SERVING');
      expect(body.error.message).toMatch(/no model/i);
    });
  }
});
