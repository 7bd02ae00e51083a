import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['speech'] }); });
afterAll(async () => { await k?.stop(); });

describe('a multipart upload without a boundary', () => {
  for (const path of ['/v1/audio/transcriptions', '/v1/audio/diarize']) {
    it(`${path}: 400 naming Content-Type, at once (it used to hang)`, async () => {
      const r = await k.fetch(path, {
        method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'file=abc',
        signal: AbortSignal.timeout(5_000),
      });
      expect(r.status).toBe(400);
      const body = await r.json() as { error?: { message?: string; param?: string }; errors?: Array<{ field: string }> };
      expect(JSON.stringify(body)).toMatch(/content-type/i);
      expect(JSON.stringify(body)).toMatch(/boundary/i);
    });
  }
});
