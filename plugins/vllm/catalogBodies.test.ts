import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

// Found by the fuzz: PUT /api/models/<id> spread its body into an object, so a 1 MB JSON string became a million keys,
// each refused with a "did you mean" search: the plugin held the event loop for 19 s and was failed for it.
let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['vllm'] }); });
afterAll(async () => { await k?.stop(); });

const put = (body: string) => k.fetch('/api/models/lab-model', { method: 'PUT', headers: { 'content-type': 'application/json' }, body });

it('a JSON string as a model entry is a 400, and the plugin keeps running', async () => {
  const r = await put(JSON.stringify('x'.repeat(1_000_000)));
  expect(r.status).toBe(400);
  expect((await r.json() as { errors: Array<{ message: string }> }).errors[0].message).toBe('must be a JSON object');
  const plugins = await (await k.fetch('/api/plugins')).json() as Array<{ id: string; state: string }>;
  expect(plugins.find((p) => p.id === 'vllm')?.state).toBe('running');
});

it('an entry with 50,000 unknown keys names the first 20 of them, not 50,000', async () => {
  const body = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
  const r = await put(JSON.stringify({ repo: 'Qwen/Qwen3-4B-Instruct-2507', servedName: 'lab', ...body }));
  expect(r.status).toBe(400);
  const errors = (await r.json() as { errors: Array<{ field: string; message: string }> }).errors;
  const unknown = errors.filter((e) => e.message === 'unknown field');
  expect(unknown.length).toBe(20);
  expect(unknown[0]).toEqual({ field: 'k0', message: 'unknown field' });
  expect(errors.length).toBeLessThan(30);
});
