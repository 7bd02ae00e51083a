import { readdirSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { startFakeParakeet } from './sim/fakeSpeech.js';
import { pcmWav } from './sim/wav.js';

/** /v1/audio/transcriptions on a long WAV: the chunks go to parakeet while the upload still arrives (liveTranscribe.ts).
 *  A fake parakeet of the test's own, slow enough (400 ms a request) that a chunk is still in flight when the rest of
 *  the upload comes; chunks of 12 s with 2 s overlap, so the 40 s recording is four chunks. */
interface FakeState { requests: number; inFlight: number; maxInFlight: number; cancelled: number }
let k: TestKernel;
let fake: { port: number; close(): Promise<void> };
const state = async (): Promise<FakeState> => (await fetch(`http://127.0.0.1:${fake.port}/__sim/state`)).json();

beforeAll(async () => {
  fake = await startFakeParakeet({ processingMs: 400 });
  k = await createTestKernel({
    plugins: ['speech'], simulate: false,
    config: { hosts: [{ id: 'spark-2', name: 'S2', address: '127.0.0.1' }], services: { parakeet: { hostId: 'spark-2', port: fake.port }, kokoro: { hostId: 'spark-2', port: fake.port } }, plugins: { speech: { longAudio: { asrChunkSec: 12, overlapSec: 2 }, cancelCooldownMs: 100 } } },
  });
});
afterAll(async () => { await k?.stop(); await fake?.close(); });

// One word every 2 s, carried in the sctx chunk the fake "hears".
const truth = Array.from({ length: 20 }, (_, i) => ({ word: `w${i}`, start: i * 2 + 0.5, end: i * 2 + 0.9, speaker: 'A' }));
const wav = pcmWav(new Int16Array(16000 * 40), 16000, 1, { id: 'sctx', data: Buffer.from(JSON.stringify(truth)) });
const boundary = 'liveuploadboundary';
const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
/** The file first, the fields after it (as the OpenAI client sends them). */
function form(fields: Record<string, string>): { head: Buffer; tail: Buffer } {
  return {
    head: Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="talk.wav"\r\nContent-Type: audio/wav\r\n\r\n`), wav]),
    tail: Buffer.from(`\r\n${Object.entries(fields).map(([n, v]) => part(n, v)).join('')}--${boundary}--\r\n`),
  };
}

/** Starts an upload of `head` + `tail` and writes `head` up to `upTo` bytes; the caller writes the rest. */
function startUpload(f: { head: Buffer; tail: Buffer }, upTo: number): { req: ClientRequest; answer: Promise<{ status: number; body: string }> } {
  let answer!: Promise<{ status: number; body: string }>;
  const req = request(`${k.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(f.head.length + f.tail.length) } });
  answer = new Promise((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => { let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve({ status: res.statusCode!, body })); });
    req.on('error', reject);
  });
  req.write(f.head.subarray(0, upTo));
  return { req, answer };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const spoolFiles = () => readdirSync(join(k.dataDir), { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && /spool/.test(d.parentPath) && /tee-/.test(d.name)).map((d) => d.name);
const fields = { model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': 'word' };

describe('a long WAV is transcribed chunk by chunk while it is still being uploaded', () => {
  it('the first chunk reaches parakeet before the upload finished; the answer is the one the whole file gets', async () => {
    const s0 = await state();
    const f = form(fields);
    // 20 s of the 40: the first chunk (0–12 s) is all there, the upload is not.
    const { req, answer } = startUpload(f, 44 + 16000 * 2 * 20);
    await until('the first chunk reached parakeet', async () => (await state()).requests > s0.requests);
    expect((await state()).requests - s0.requests).toBe(1);
    req.end(Buffer.concat([f.head.subarray(44 + 16000 * 2 * 20), f.tail]));
    const live = await answer;
    expect(live.status).toBe(200);
    const v = JSON.parse(live.body) as { words: Array<{ word: string }>; duration: number };
    expect(v.words.map((w) => w.word)).toEqual(truth.map((t) => t.word));
    expect(v.duration).toBe(40);
    const s1 = await state();
    expect(s1.requests - s0.requests).toBe(4);
    expect(s1.cancelled).toBe(s0.cancelled);
    expect(s1.maxInFlight).toBe(1); // one chunk at a time, as the queue allows
    // The same file sent in one go gets the same answer.
    const whole = startUpload(f, f.head.length);
    whole.req.end(f.tail);
    expect((await whole.answer).body).toBe(live.body);
    expect(spoolFiles()).toEqual([]);
  });

  it('a bad field after the file answers 400 naming it and aborts the chunk in flight; nothing runs on', async () => {
    for (const [bad, field] of [[{ max_speakers: '9' }, 'max_speakers'], [{ dual_channel: 'true' }, 'dual_channel'], [{ channel_mode: 'dual' }, 'file']] as const) {
      await until('parakeet is idle', async () => (await state()).inFlight === 0);
      await new Promise((r) => setTimeout(r, 150)); // the cooldown of the request before
      const s0 = await state();
      const f = form({ ...fields, ...bad });
      const { req, answer } = startUpload(f, 44 + 16000 * 2 * 20);
      await until('the first chunk is in flight', async () => (await state()).inFlight === 1);
      req.end(Buffer.concat([f.head.subarray(44 + 16000 * 2 * 20), f.tail]));
      const r = await answer;
      expect(r.status, r.body).toBe(400);
      expect(JSON.parse(r.body).error).toMatchObject({ type: 'invalid_request_error', param: field });
      await until('the chunk in flight was cancelled', async () => (await state()).cancelled === s0.cancelled + 1);
      await new Promise((r) => setTimeout(r, 500));
      const s1 = await state();
      expect(s1.requests - s0.requests).toBe(1);
      expect(s1.inFlight).toBe(0);
      expect(spoolFiles()).toEqual([]);
    }
  });
});
