import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSparkControlProcess, type SparkControlProcess } from '../helpers/sparkControlProcess.js';

/** Issue 21: eight request bodies that each used to end `npm start`'s process (a TypeError in the fake vLLM, which
 *  ran inside it). Sent through Spark Control's `/v1` proxy to the simulated cluster's vLLM, each must be refused the
 *  way vLLM refuses it — 400 with the OpenAI error envelope naming the field — and the process keeps serving. */
const HOSTILE = { toString: 1, valueOf: {} };
const BODIES: Array<{ name: string; path: string; body: string; field: string }> = [
  { name: 'messages is a string', path: '/v1/chat/completions', body: '{"model":"qwen3-4b","messages":"nope"}', field: 'messages' },
  { name: 'a JSON null body', path: '/v1/chat/completions', body: 'null', field: 'body' },
  { name: 'messages: [null]', path: '/v1/chat/completions', body: '{"model":"qwen3-4b","messages":[null]}', field: 'messages' },
  { name: 'messages: {}', path: '/v1/chat/completions', body: '{"model":"qwen3-4b","messages":{}}', field: 'messages' },
  { name: 'content without a usable toString', path: '/v1/chat/completions', body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: HOSTILE }] }), field: 'content' },
  { name: 'max_tokens without a usable valueOf', path: '/v1/chat/completions', body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: HOSTILE }), field: 'max_tokens' },
  { name: 'prompt without a usable toString', path: '/v1/completions', body: JSON.stringify({ model: 'qwen3-4b', prompt: HOSTILE }), field: 'prompt' },
  { name: 'a JSON null completions body', path: '/v1/completions', body: 'null', field: 'body' },
];

let sc: SparkControlProcess;
const post = (path: string, body: string) => fetch(sc.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
const chatOk = async () => (await post('/v1/chat/completions', JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 }))).status;

beforeAll(async () => {
  sc = await startSparkControlProcess();
  // The simulated cluster starts with qwen3-4b loading; wait until it is served.
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try { if (await chatOk() === 200) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`qwen3-4b was never served:\n${sc.output().slice(-2000)}`);
}, 90_000);
afterAll(async () => { await sc?.stop(); });

describe('the eight bodies of issue 21 against npm start', () => {
  for (const b of BODIES) {
    it(`${b.name}: 400 in vLLM's error envelope, the process keeps serving`, async () => {
      let status: number | string;
      let text = '';
      try {
        const res = await post(b.path, b.body);
        status = res.status;
        text = await res.text();
      } catch (e) {
        status = `no answer (${(e as Error).cause ?? (e as Error).name})`;
      }
      // Give a dying process the moment it needs to exit.
      await new Promise((r) => setTimeout(r, 100));
      expect(sc.exited(), sc.output().slice(-1500)).toBeUndefined();
      expect(status, text).toBe(400);
      const err = JSON.parse(text) as { error: { message: string; type: string; param: string | null; code: number } };
      expect(err.error).toMatchObject({ type: 'BadRequestError', code: 400 });
      expect(err.error.message).toContain(b.field);
      expect(text).not.toMatch(/\bat .+:\d+:\d+|\/work\/|node:internal|\.ts\b/);
      expect(await chatOk()).toBe(200);
    });
  }
});
