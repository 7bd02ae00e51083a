import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { fixtureSkipReason, meeting } from '../../plugins/speech/testFixtures.js';

/**
 * docs/compatibility.md's endpoint table, replayed: for every row, the old request shape goes to the running app (the
 * simulated cluster) and the old answer's status, content type and fields are checked. The first test keeps this list
 * and the table in step: a row without a case here fails. (legacy-shapes.test.ts goes deeper on the catalog, ingest
 * and search rules.)
 */
if (fixtureSkipReason) console.warn(`\n!!! SKIPPING the audio rows of the compatibility replay: ${fixtureSkipReason}\n`);
const wav = fixtureSkipReason ? undefined : meeting().wav;
let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', 'vllm', 'speech', 'embeddings', 'redaction', 'matrix-bridge'], simPreload: true, logLevel: 'warn', config: { plugins: { cluster: { pollIntervalMs: 60_000 } } } });
}, 60_000);
afterAll(async () => { await k?.stop(); });

const json = (body: unknown, method = 'POST'): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const form = (fields: Record<string, string>): RequestInit => {
  const fd = new FormData();
  fd.append('file', new Blob([new Uint8Array(wav!)]), 'audio.wav');
  for (const [key, v] of Object.entries(fields)) fd.append(key, v);
  return { method: 'POST', body: fd };
};
const has = (o: unknown, keys: string[]) => expect(Object.keys(o as object)).toEqual(expect.arrayContaining(keys));

interface Case { row: string; audio?: boolean; ctx?: unknown; run(this: Case): Promise<void> }
const cases: Case[] = [
  { row: 'POST /v1/audio/transcriptions', audio: true, async run() {
    const r = await k.fetch('/v1/audio/transcriptions', form({ model: 'parakeet', response_format: 'json', language: 'en', temperature: '0' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/json');
    const b = await r.json();
    has(b, ['text']);
    expect(typeof b.text).toBe('string');
    const vtt = await k.fetch('/v1/audio/transcriptions', form({ model: 'parakeet', response_format: 'vtt' }));
    expect(vtt.status).toBe(200);
    expect((await vtt.text()).startsWith('WEBVTT')).toBe(true);
  } },
  { row: 'POST /v1/audio/diarize', audio: true, async run() {
    const r = await k.fetch('/v1/audio/diarize', form({ max_speakers: '4' }));
    expect(r.status).toBe(200);
    const b = await r.json();
    has(b, ['duration', 'model', 'models', 'mode', 'chunks', 'speakers', 'speakers_detected', 'segments', 'fingerprints', 'warnings']);
    has(b.segments[0], ['start', 'end', 'start_s', 'end_s', 'speaker']);
    const rttm = await k.fetch('/v1/audio/diarize', form({ response_format: 'rttm' }));
    expect(rttm.headers.get('content-type')).toContain('text/plain');
    expect(await rttm.text()).toMatch(/^SPEAKER audio 1 /);
  } },
  { row: 'POST /api/audio/diarize-chunk', audio: true, async run() {
    for (const path of ['/api/audio/diarize-chunk']) {
      const r = await k.fetch(path, form({}));
      expect(r.status, path).toBe(200);
      const b = await r.json();
      has(b, ['duration', 'segments', 'speakers_detected', 'fingerprints', 'models', 'warnings']);
      has(b.segments[0], ['start_s', 'end_s', 'speaker']);
      expect(Object.values(b.fingerprints as Record<string, number[]>)[0]).toHaveLength(192);
    }
  } },
  { row: 'POST /api/audio/transcribe-with-speakers', audio: true, async run() {
    const r = await k.fetch('/api/audio/transcribe-with-speakers', form({}));
    expect(r.status).toBe(200);
    const b = await r.json();
    has(b, ['duration', 'speakers_detected', 'segments', 'models']);
    has(b.segments[0], ['start_ms', 'end_ms', 'speaker', 'text']);
    has(b.models, ['transcription', 'diarization']);
  } },
  { row: 'POST /v1/audio/speech', async run() {
    for (const voice of ['af_bella', 'alloy', 'af_bella-af_sky', 'af_bella(2)+af_sky(1)']) {
      const r = await k.fetch('/v1/audio/speech', json({ model: 'kokoro', input: 'Hello there.', voice, response_format: 'wav', speed: 1, lang_code: 'a' }));
      expect(r.status, voice).toBe(200);
      expect(r.headers.get('content-type'), voice).toBe('audio/wav');
      expect(Buffer.from(await r.arrayBuffer()).subarray(0, 4).toString(), voice).toBe('RIFF');
    }
  } },
  { row: 'GET /v1/audio/voices', async run() {
    const b = await (await k.fetch('/v1/audio/voices')).json();
    expect(Array.isArray(b.voices) && b.voices.length > 0).toBe(true);
  } },
  { row: 'POST /v1/embeddings', async run() {
    const r = await k.fetch('/v1/embeddings', json({ model: 'bge-m3', input: ['one', 'two'], encoding_format: 'float', output: ['dense', 'sparse'] }));
    expect(r.status).toBe(200);
    const b = await r.json();
    expect(b.object).toBe('list');
    has(b.data[0], ['embedding', 'index', 'sparse']);
    has(b.data[0].sparse, ['indices', 'values']);
  } },
  { row: 'POST /v1/rerank', async run() {
    const b = await (await k.fetch('/v1/rerank', json({ model: 'bge-reranker', query: 'q', documents: ['a', 'b'], top_n: 1, return_documents: true }))).json();
    expect(b.object).toBe('rerank.result');
    has(b.results[0], ['index', 'relevance_score', 'document']);
    has(b, ['model', 'results']);
  } },
  { row: 'PUT /api/collections/{name}', async run() {
    expect((await k.fetch('/api/collections/compat_table', json({}, 'PUT'))).status).toBeLessThan(300);
  } },
  { row: 'POST /api/collections/{name}/points', async run() {
    const r = await k.fetch('/api/collections/compat_table/points', json({ points: [{ id: 'd1#0', text: 'Brightwater committed to the fund', payload: { tenant: 't' } }] }));
    expect(r.status).toBeLessThan(300);
  } },
  { row: 'POST /api/search', async run() {
    const r = await k.fetch('/api/search', json({ collection: 'compat_table', query: 'Brightwater', mode: 'hybrid', limit: 5, prefetch_limit: 20, fusion: 'rrf', rrf: { k: 60 }, with_payload: true, score_threshold: null }));
    expect(r.status).toBe(200);
    const b = await r.json();
    has(b, ['collection', 'mode', 'fusion', 'results', 'timings_ms']);
    has(b.results[0], ['id', 'doc_id', 'score', 'payload']);
  } },
  { row: 'POST /scrub', async run() {
    const r = await k.fetch('/scrub', json({ task_id: 't-1', actor: 'compat', items: [{ id: 'a', text: 'Anna Berg, the CFO of Brightwater, wrote to anna@example.com.' }], known_entities: { orgs: ['Brightwater'] }, tier1_action: 'reject' }));
    expect(r.status).toBe(200);
    const b = await r.json();
    has(b, ['task_id', 'map_handle', 'items', 'stats', 'expires_at']);
    has(b.items[0], ['id', 'scrubbed_text', 'tokens_used']);
    has(b.stats, ['descriptive_flags']);
    expect(b.items[0].scrubbed_text).not.toContain('anna@example.com');
    cases.find((c) => c.row === 'POST /rehydrate')!.ctx = { handle: b.map_handle, text: b.items[0].scrubbed_text };
  } },
  { row: 'POST /rehydrate', async run() {
    const { handle, text } = (this as Case & { ctx: { handle: string; text: string } }).ctx;
    const b = await (await k.fetch('/rehydrate', json({ task_id: 't-1', map_handle: handle, items: [{ id: 'a', text }] }))).json();
    has(b.items[0], ['id', 'text', 'replaced', 'unknown_placeholders']);
    expect(b.items[0].text).toContain('anna@example.com');
    const gone = await k.fetch('/rehydrate', json({ task_id: 't-1', map_handle: 'no-such-handle-0000', items: [{ id: 'a', text: 'x' }] }));
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: 'map_not_found' });
  } },
  { row: 'POST /api/models', async run() {
    const r = await k.fetch('/api/models', json({ id: 'compat-old', name: 'Old', local_path: '/models/compat', served_name: 'compat-old', tensor_parallel: 1 }));
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ localPath: '/models/compat', servedName: 'compat-old' });
  } },
  { row: 'GET /api/models', async run() {
    const b = await (await k.fetch('/api/models')).json();
    expect(b.models.find((m: { id: string }) => m.id === 'compat-old')).toMatchObject({ kind: 'local' });
    const put = await k.fetch('/api/models/compat-old', json({ name: 'Old again', local_path: '/models/compat', served_name: 'compat-old' }, 'PUT'));
    expect(put.status).toBe(200);
    expect((await k.fetch('/api/models/compat-old', { method: 'DELETE' })).status).toBe(200);
  } },
  { row: 'POST /api/matrix-bridge/update', async run() {
    const r = await k.fetch('/api/matrix-bridge/update', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const lines = (await r.text()).trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^UPDATE (OK|FAILED: )/);
  } },
  { row: 'GET /api/matrix-bridge/logs?lines=N', async run() {
    const b = await (await k.fetch('/api/matrix-bridge/logs?lines=5')).json();
    expect(Array.isArray(b.lines)).toBe(true);
    expect((await k.fetch('/api/matrix-bridge/logs?lines=5&tail=1')).status).toBe(400);
  } },
  { row: 'POST /v1/chat/completions', async run() {
    const models = await (await k.fetch('/v1/models')).json();
    const serving = models.data.find((m: { state?: string }) => m.state === 'serving') ?? models.data[0];
    const r = await k.fetch('/v1/chat/completions', json({ model: serving.id, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, top_k: 5 }));
    expect(r.status).toBe(200);
    has(await r.json(), ['id', 'object', 'choices', 'usage']);
  } },
];

describe('the compatibility table, replayed', () => {
  it('has a case for every row of docs/compatibility.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/compatibility.md', import.meta.url)), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z]+ [^`]+)`/gm)].map((m) => m[1]);
    expect(rows.length).toBeGreaterThan(15);
    expect(rows.filter((r) => !cases.some((c) => c.row === r))).toEqual([]);
  });
  for (const c of cases) {
    it.skipIf(!!(c.audio && fixtureSkipReason))(c.row, () => c.run.call(c), 60_000);
  }
});
