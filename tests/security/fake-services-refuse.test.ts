import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEmbeddings } from '../../plugins/embeddings/sim/fakeEmbeddings.js';
import { startFakeQdrant } from '../../plugins/embeddings/sim/fakeQdrant.js';
import { startFakeKokoro, startFakeParakeet } from '../../plugins/speech/sim/fakeSpeech.js';
import { startFakeVllm } from '../../plugins/vllm/sim/fakeVllm.js';
import { malformedJsonBody, malformedMultipartBody, prng } from '../helpers/malformedBodies.js';

/** The simulated cluster's fakes refuse a malformed body the way the real service does, each in its own envelope:
 *  vLLM 400 `{"error":{"message","type":"BadRequestError","param":null,"code":400}}`, the FastAPI services (parakeet,
 *  Kokoro, spark-embed) 422 `{"detail":[{"type","loc","msg"}]}`, Qdrant 400 `{"status":{"error":"Format error in JSON
 *  body: ..."},"time":...}`. Hit directly (not through Spark Control, which validates first), with seeded malformed
 *  bodies per endpoint: never a 500, never a dropped connection, and each still serves a good request afterwards. */
type Fake = { port: number; close(): Promise<void> };
let root: string;
const fakes: Record<string, Fake> = {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fakes-refuse-'));
  // What the simulator's launcher leaves behind for a served model, loaded a minute ago.
  mkdirSync(join(root, 'state/containers'), { recursive: true });
  const at = new Date(Date.now() - 60_000).toISOString();
  writeFileSync(join(root, 'state/containers/vllm_node.json'), JSON.stringify({ State: { Running: true }, Exec: { cmd: ['bash', '-c', 'vllm serve Qwen/Qwen3-4B-Instruct-2507 --port 8888 --served-model-name qwen3-4b >> /proc/1/fd/1 2>&1'], at, dead: false } }));
  writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ tokenDelayMs: 1 }));
  fakes.vllm = await startFakeVllm(root);
  fakes.parakeet = await startFakeParakeet({ processingMs: 1 });
  fakes.kokoro = await startFakeKokoro();
  fakes.embeddings = await startFakeEmbeddings();
  fakes.qdrant = await startFakeQdrant();
  const put = await fetch(`http://127.0.0.1:${fakes.qdrant.port}/collections/docs`, { method: 'PUT', body: JSON.stringify({ vectors: { dense: { size: 3, distance: 'Cosine' } }, sparse_vectors: { sparse: {} } }) });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  for (const f of Object.values(fakes)) await f.close();
  rmSync(root, { recursive: true, force: true });
});

interface Endpoint { fake: string; method: string; path: string; sample: unknown; multipart?: boolean; envelope: (status: number, body: any) => boolean }
const vllmEnvelope = (s: number, b: any) => s === 200 || (s >= 400 && s < 500 && typeof b?.error?.message === 'string' && typeof b.error.type === 'string' && b.error.code === s);
/** 422 from validation (`detail` a list naming each field), or the app's own HTTPException (`detail` a string or object). */
const fastApiEnvelope = (s: number, b: any) => s === 200 || (s === 422 && Array.isArray(b?.detail) && b.detail.every((d: any) => Array.isArray(d.loc) && typeof d.msg === 'string')) || (s >= 400 && s < 500 && b?.detail !== undefined && !Array.isArray(b.detail));
const qdrantEnvelope = (s: number, b: any) => (s === 200 && b?.status === 'ok') || (s >= 400 && s < 500 && typeof b?.status?.error === 'string' && typeof b.time === 'number');
const filter = { must: [{ key: 'lang', match: { value: 'en' } }, { has_id: [1] }], should: [{ key: 'n', range: { gte: 1 } }], must_not: [{ must: [{ key: 'x', match: { any: ['a'] } }] }] };
const ENDPOINTS: Endpoint[] = [
  { fake: 'vllm', method: 'POST', path: '/v1/chat/completions', sample: { model: 'qwen3-4b', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 3, stream: false }, envelope: vllmEnvelope },
  { fake: 'vllm', method: 'POST', path: '/v1/completions', sample: { model: 'qwen3-4b', prompt: ['hi', 'there'], max_tokens: 3 }, envelope: vllmEnvelope },
  { fake: 'kokoro', method: 'POST', path: '/v1/audio/speech', sample: { model: 'kokoro', input: 'hi', voice: 'af_heart', response_format: 'wav', speed: 1 }, envelope: fastApiEnvelope },
  { fake: 'parakeet', method: 'POST', path: '/v1/audio/transcriptions', sample: undefined, multipart: true, envelope: fastApiEnvelope },
  { fake: 'parakeet', method: 'POST', path: '/v1/audio/diarize', sample: undefined, multipart: true, envelope: fastApiEnvelope },
  { fake: 'embeddings', method: 'POST', path: '/v1/embeddings', sample: { input: ['hi'], model: 'BAAI/bge-m3', output: ['dense', 'sparse'] }, envelope: fastApiEnvelope },
  { fake: 'embeddings', method: 'POST', path: '/v1/rerank', sample: { query: 'hi', documents: ['a', 'b'], top_n: 1, return_documents: true }, envelope: fastApiEnvelope },
  { fake: 'qdrant', method: 'PUT', path: '/collections/docs/points?wait=true', sample: { points: [{ id: 1, vector: { dense: [1, 0, 0], sparse: { indices: [1], values: [0.5] } }, payload: { lang: 'en' } }] }, envelope: qdrantEnvelope },
  { fake: 'qdrant', method: 'PUT', path: '/collections/docs/index', sample: { field_name: 'lang', field_schema: 'keyword' }, envelope: qdrantEnvelope },
  { fake: 'qdrant', method: 'POST', path: '/collections/docs/points/count', sample: { filter, exact: true }, envelope: qdrantEnvelope },
  { fake: 'qdrant', method: 'POST', path: '/collections/docs/points/scroll', sample: { filter, limit: 2, with_payload: true }, envelope: qdrantEnvelope },
  { fake: 'qdrant', method: 'POST', path: '/collections/docs/points/query', sample: { prefetch: [{ query: [1, 0, 0], using: 'dense', limit: 5 }, { query: { indices: [1], values: [1] }, using: 'sparse', limit: 5 }], query: { rrf: { weights: [1, 2] } }, limit: 2, offset: 0, filter, with_payload: true }, envelope: qdrantEnvelope },
];
const PER_ENDPOINT = process.env.SPARK_TEST_FULL === '1' ? 1500 : 100;

describe('the fakes refuse malformed bodies the way the real services do', () => {
  it('the eight bodies of issue 21 get vLLM\'s 400 naming the field', async () => {
    const hostile = { toString: 1, valueOf: {} };
    const cases: Array<[string, string, unknown]> = [
      ['/v1/chat/completions', 'messages', { model: 'qwen3-4b', messages: 'nope' }], ['/v1/chat/completions', 'body', null],
      ['/v1/chat/completions', 'messages', { model: 'qwen3-4b', messages: [null] }], ['/v1/chat/completions', 'messages', { model: 'qwen3-4b', messages: {} }],
      ['/v1/chat/completions', 'content', { model: 'qwen3-4b', messages: [{ role: 'user', content: hostile }] }],
      ['/v1/chat/completions', 'max_tokens', { model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: hostile }],
      ['/v1/completions', 'prompt', { model: 'qwen3-4b', prompt: hostile }], ['/v1/completions', 'body', null],
    ];
    for (const [path, field, body] of cases) {
      const r = await fetch(`http://127.0.0.1:${fakes.vllm.port}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const b = await r.json() as { error: { message: string; type: string; param: null; code: number } };
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(b.error).toMatchObject({ type: 'BadRequestError', param: null, code: 400 });
      expect(b.error.message).toContain(`'${field}'`);
    }
  });

  it('FastAPI services answer 422 with detail[].loc naming the field; Qdrant 400 "Format error in JSON body"', async () => {
    const k = await fetch(`http://127.0.0.1:${fakes.kokoro.port}/v1/audio/speech`, { method: 'POST', body: JSON.stringify({ input: { toString: 1 }, voice: 'af_heart' }) });
    expect(k.status).toBe(422);
    expect((await k.json()).detail[0]).toMatchObject({ type: 'string_type', loc: ['body', 'input'] });
    const form = new FormData();
    form.set('max_speakers', 'two');
    const p = await fetch(`http://127.0.0.1:${fakes.parakeet.port}/v1/audio/diarize`, { method: 'POST', body: form });
    expect(p.status).toBe(422);
    expect((await p.json()).detail.map((d: { loc: string[] }) => d.loc.join('.'))).toEqual(['body.file', 'body.max_speakers']);
    const e = await fetch(`http://127.0.0.1:${fakes.embeddings.port}/v1/rerank`, { method: 'POST', body: JSON.stringify({ query: 'q', documents: 'not a list' }) });
    expect(e.status).toBe(422);
    expect((await e.json()).detail[0].loc).toEqual(['body', 'documents']);
    const q = await fetch(`http://127.0.0.1:${fakes.qdrant.port}/collections/docs/points/query`, { method: 'POST', body: JSON.stringify({ filter: { must: [{ key: { toString: 1 } }] } }) });
    expect(q.status).toBe(400);
    expect((await q.json()).status.error).toMatch(/^Format error in JSON body: filter\.must\[0\]\.key: invalid type/);
    const deep = await fetch(`http://127.0.0.1:${fakes.qdrant.port}/collections/docs/points/count`, { method: 'POST', body: '{"filter":' + '{"must":['.repeat(200) + '{}' + ']}'.repeat(200) + '}' });
    expect(deep.status).toBe(400);
    expect((await deep.json()).status.error).toContain('recursion limit exceeded');
  });

  it(`${PER_ENDPOINT} seeded malformed bodies per endpoint: no 500, no dropped connection, each in its envelope`, async () => {
    const rnd = prng(2121);
    const bad: string[] = [];
    const counts: Record<string, number> = {};
    for (const ep of ENDPOINTS) {
      for (let i = 0; i < PER_ENDPOINT; i++) {
        const b = ep.multipart && rnd() < 0.8 ? malformedMultipartBody(rnd) : malformedJsonBody(ep.sample ?? { file: 'x' }, rnd, 64 << 10);
        const what = `${ep.fake} ${ep.method} ${ep.path} [${b.label}]`;
        try {
          const r = await fetch(`http://127.0.0.1:${fakes[ep.fake].port}${ep.path}`, { method: ep.method, headers: { 'content-type': b.contentType }, body: b.body as BodyInit, signal: AbortSignal.timeout(10_000) });
          const text = await r.text();
          counts[`${ep.fake} ${r.status}`] = (counts[`${ep.fake} ${r.status}`] ?? 0) + 1;
          let json: unknown;
          try { json = JSON.parse(text); } catch { /* checked by the envelope */ }
          if (r.status >= 500) bad.push(`${what}: ${r.status} ${text.slice(0, 200)}`);
          else if (!r.headers.get('content-type')?.startsWith('audio/') && !r.headers.get('content-type')?.startsWith('text/event-stream') && !ep.envelope(r.status, json)) bad.push(`${what}: ${r.status} not in the service's envelope: ${text.slice(0, 200)}`);
        } catch (e) {
          bad.push(`${what}: no answer (${(e as Error).message})`);
        }
      }
    }
    console.log(`[fakes] ${ENDPOINTS.length} endpoints × ${PER_ENDPOINT} malformed bodies: ${JSON.stringify(counts)}; ${bad.length} bad`);
    expect(bad.slice(0, 10)).toEqual([]);
    // Each still serves a good request.
    const chat = await fetch(`http://127.0.0.1:${fakes.vllm.port}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(ENDPOINTS[0].sample) });
    expect(chat.status).toBe(200);
    const emb = await fetch(`http://127.0.0.1:${fakes.embeddings.port}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ input: 'hello' }) });
    expect(emb.status).toBe(200);
    const count = await fetch(`http://127.0.0.1:${fakes.qdrant.port}/collections/docs/points/count`, { method: 'POST', body: '{}' });
    expect((await count.json()).status).toBe('ok');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});
