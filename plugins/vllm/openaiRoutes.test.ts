import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** The OpenAI routes are named in the API document with what they answer, not only as `/v1/{rest}`, and still proxy. */
let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['vllm'], simPreload: true }); }, 60_000);
afterAll(async () => { await k?.stop(); });

it('documents /v1/models, /v1/chat/completions and /v1/completions with 200 schemas, and each answers through the proxy', async () => {
  const doc = await (await k.fetch('/api/openapi.json')).json();
  const ok = (p: string, m: string) => doc.paths[p]?.[m]?.responses?.['200']?.content?.['application/json']?.schema;
  expect(ok('/v1/models', 'get').properties.data.items.properties).toHaveProperty('max_model_len');
  expect(ok('/v1/chat/completions', 'post').properties.choices.items.properties.message.properties).toHaveProperty('content');
  expect(ok('/v1/completions', 'post').properties.choices.items.properties).toHaveProperty('text');
  expect(doc.paths['/v1/chat/completions'].post.summary).toMatch(/Chat completion/);
  expect(doc.paths['/v1/{rest}']).toBeDefined(); // everything else vLLM serves still goes through

  const models = await (await k.fetch('/v1/models')).json();
  expect(models.data[0]).toMatchObject({ id: 'qwen3-4b', object: 'model' });
  const chat = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'ping' }] }) });
  expect(chat.status).toBe(200);
  expect((await chat.json()).choices[0].message.content).toContain('ping');
  const text = await k.fetch('/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', prompt: 'ping' }) });
  expect(text.status).toBe(200);
  expect((await text.json()).object).toBe('text_completion');
});
