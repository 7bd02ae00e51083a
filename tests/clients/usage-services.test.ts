import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav, type TruthWord } from '../../plugins/speech/sim/wav.js';

/** Issue 26 on the speech, embeddings and redaction plugins: their routes are `inference` for keys, and each counts
 *  its own usage per client (audio seconds, characters spoken, embeddings, reranked documents, searches, items
 *  scrubbed). */
let k: TestKernel;
const json = { 'content-type': 'application/json' };
let inf: { key: string; id: string };
let read: { key: string; id: string };

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['speech', 'embeddings', 'redaction'], usage: { flushMs: 50 } });
  const make = async (name: string, scopes: string[]) => {
    const r = await k.fetch('/api/clients', { method: 'POST', headers: json, body: JSON.stringify({ name, scopes }) });
    const j = await r.json() as { key: string; client: { id: string } };
    return { key: j.key, id: j.client.id };
  };
  inf = await make('app', ['inference']);
  read = await make('viewer', ['read']);
}, 60_000);
afterAll(async () => { await k?.stop(); });

const call = (path: string, key: string, body?: unknown, method = 'POST') => k.fetch(path, { method, headers: { ...json, authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
/** This client's counters by `plugin/subject/counter` (the kernel's own request count left out). */
async function usage(clientId: string): Promise<Record<string, number>> {
  const u = await (await k.fetch(`/api/usage?client=${clientId}`)).json() as { rows: Array<{ plugin: string; subject: string; counter: string; value: number }> };
  return Object.fromEntries(u.rows.filter((r) => r.counter !== 'requests').map((r) => [`${r.plugin}/${r.subject}/${r.counter}`, r.value]));
}
/** A synthetic recording whose words ride in the `sctx` chunk the fake services read. */
function recording(seconds: number): Buffer {
  const truth: TruthWord[] = [{ word: 'Hello', start: 0.2, end: 0.6, speaker: 'A' }, { word: 'there', start: 0.7, end: 1.1, speaker: 'A' }, { word: 'yes', start: 2.2, end: 2.6, speaker: 'B' }];
  const pcm = new Int16Array(16000 * seconds);
  for (let i = 0; i < pcm.length; i += 7) pcm[i] = 300;
  return pcmWav(pcm, 16000, 1, { id: 'sctx', data: Buffer.from(JSON.stringify(truth)) });
}

describe('scopes of the service routes', () => {
  it('an inference key calls them, a read key may not post to them, and deleting a collection stays an admin\'s', async () => {
    const cases: Array<[string, string, unknown, number, number]> = [
      // path, method, body, inference, read
      ['/v1/embeddings', 'POST', { input: 'x' }, 200, 403],
      ['/v1/rerank', 'POST', { query: 'q', documents: ['a'] }, 200, 403],
      ['/api/collections/scoped', 'PUT', {}, 201, 403],
      ['/api/collections/scoped/points', 'POST', { items: [{ id: 1, text: 'pump manual' }] }, 200, 403],
      ['/api/search', 'POST', { collection: 'scoped', query: 'pump' }, 200, 403],
      ['/api/collections', 'GET', undefined, 200, 200],
      ['/scrub', 'POST', { items: [{ id: 'a', text: 'Call me at 555-0100' }], ner: 'rules_only' }, 200, 403],
      ['/v1/audio/speech', 'POST', { input: 'hi', voice: 'af_heart' }, 200, 403],
      ['/v1/audio/voices', 'GET', undefined, 200, 200],
      ['/api/collections/scoped', 'DELETE', undefined, 403, 403],
      ['/api/plugins/redaction/try', 'POST', { items: [{ id: 'a', text: 'x' }], ner: 'rules_only' }, 403, 403],
    ];
    for (const [path, method, body, ...want] of cases) {
      const got = [];
      for (const key of [inf.key, read.key]) got.push((await call(path, key, body, method)).status);
      expect(got, `${method} ${path}`).toEqual(want);
    }
    // The admin (the dashboard here: no token configured) deletes it.
    expect((await k.fetch('/api/collections/scoped', { method: 'DELETE' })).status).toBe(200);
  }, 60_000);
});

describe('usage of the other services', () => {
  it('speech: audio seconds transcribed and diarized per model, characters spoken per voice', async () => {
    const before = await usage(inf.id);
    const openai = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: inf.key });
    const t = await openai.audio.transcriptions.create({ file: await toFile(recording(4), 'a.wav', { type: 'audio/wav' }), model: 'parakeet', response_format: 'verbose_json' });
    expect(t.duration).toBeCloseTo(4, 1);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(recording(3))], { type: 'audio/wav' }), 'b.wav');
    const d = await k.fetch('/v1/audio/diarize', { method: 'POST', headers: { authorization: `Bearer ${inf.key}` }, body: form });
    expect(d.status, await d.clone().text()).toBe(200);
    const dj = await d.json() as { duration: number; model: string };
    const spoken = 'Twelve chars';
    const tts = await call('/v1/audio/speech', inf.key, { input: spoken, voice: 'af_bella' });
    expect(tts.status).toBe(200);
    await tts.arrayBuffer();
    const after = await usage(inf.id);
    const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect(delta('speech/nvidia/parakeet-tdt-0.6b/audio_seconds')).toBeCloseTo(Number(t.duration), 3);
    expect(delta(`speech/${dj.model}/audio_seconds`)).toBeCloseTo(dj.duration, 3);
    expect(dj.duration).toBeCloseTo(3, 1);
    expect(delta('speech/af_bella/characters')).toBe(spoken.length);
    // Transcript with speakers: the same seconds through both models.
    const both = new FormData();
    both.append('file', new Blob([new Uint8Array(recording(2))], { type: 'audio/wav' }), 'c.wav');
    const tw = await k.fetch('/api/audio/transcribe-with-speakers', { method: 'POST', headers: { authorization: `Bearer ${inf.key}` }, body: both });
    expect(tw.status, await tw.clone().text()).toBe(200);
    const twj = await tw.json() as { duration: number; models: { transcription: string; diarization: string } };
    const last = await usage(inf.id);
    expect(last[`speech/${twj.models.transcription}/audio_seconds`] - after[`speech/${twj.models.transcription}/audio_seconds`]).toBeCloseTo(twj.duration, 3);
    expect(last[`speech/${twj.models.diarization}/audio_seconds`] - after[`speech/${twj.models.diarization}/audio_seconds`]).toBeCloseTo(2, 1);
  }, 60_000);

  it('embeddings: inputs embedded per model and per collection (ingest), documents reranked, searches per collection', async () => {
    const before = await usage(inf.id);
    expect((await call('/v1/embeddings', inf.key, { input: ['one', 'two', 'three'] })).status).toBe(200);
    const rr = await call('/v1/rerank', inf.key, { query: 'pump', documents: ['a pump', 'a valve'] });
    const model = (await rr.json() as { model: string }).model;
    expect((await call('/api/collections/counted', inf.key, {}, 'PUT')).status).toBeLessThan(300);
    expect((await call('/api/collections/counted/points', inf.key, { items: [{ id: 1, text: 'pump manual' }, { id: 2, text: 'valve manual' }] })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await call('/api/search', inf.key, { collection: 'counted', query: 'pump' })).status).toBe(200);
    // A refused request counts nothing.
    expect((await call('/v1/embeddings', inf.key, { input: [] })).status).toBe(400);
    const after = await usage(inf.id);
    const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect(delta('embeddings/BAAI/bge-m3/embeddings')).toBe(3);
    expect(delta(`embeddings/${model}/reranked`)).toBe(2);
    expect(delta('embeddings/counted/embeddings')).toBe(2);
    expect(delta('embeddings/counted/searches')).toBe(2);
  }, 60_000);

  it('redaction: items scrubbed', async () => {
    const before = await usage(inf.id);
    const r = await call('/scrub', inf.key, { items: [{ id: 'a', text: 'Mail bob@example.com' }, { id: 'b', text: 'nothing here' }, { id: 'c', text: 'Call 555-0100 tomorrow' }], ner: 'rules_only' });
    expect(r.status).toBe(200);
    // Refused (a tier-1 value with tier1_action reject): nothing scrubbed, nothing counted.
    expect((await call('/scrub', inf.key, { items: [{ id: 'a', text: 'IBAN DE89370400440532013000' }], ner: 'rules_only', tier1_action: 'reject' })).status).toBe(422);
    const after = await usage(inf.id);
    expect((after['redaction//items_scrubbed'] ?? 0) - (before['redaction//items_scrubbed'] ?? 0)).toBe(3);
  }, 60_000);
});
