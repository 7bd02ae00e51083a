import { execFileSync } from 'node:child_process';
import { MPEGDecoder } from 'mpg123-decoder';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';

/** What a new user gets from the simulated speech services: /v1/audio/speech in each format asked for (or a 400
 *  naming the format), a voice that varies like speech, and a transcript for audio without a truth chunk. */
let k: TestKernel;
const client = () => new OpenAI({ apiKey: 'none', baseURL: `${k.url}/v1` });
const TEXT = 'Good morning, the budget meeting starts at nine.';

beforeAll(async () => { k = await createTestKernel({ plugins: ['speech'] }); }, 60_000);
afterAll(async () => { await k?.stop(); });

async function speech(format: string) {
  return k.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', input: TEXT, response_format: format }) });
}

/** Coefficient of variation of the 20 ms frame levels: ~0 for a steady tone, well above for speech. */
function levelVariation(pcm: ArrayLike<number>, rate: number): number {
  const step = Math.round(rate * 0.02), levels: number[] = [];
  for (let a = 0; a + step <= pcm.length; a += step) { let s = 0; for (let i = a; i < a + step; i++) s += pcm[i] * pcm[i]; levels.push(Math.sqrt(s / step)); }
  const mean = levels.reduce((x, y) => x + y, 0) / levels.length;
  return Math.sqrt(levels.reduce((x, y) => x + (y - mean) ** 2, 0) / levels.length) / mean;
}

const int16 = (b: Buffer) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~1)));

describe('simulated /v1/audio/speech formats', () => {
  it('wav: a 24 kHz RIFF that varies like speech, and the transcription of it gives the words back', async () => {
    const r = await speech('wav');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await r.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(24000);
    const data = wav.indexOf('data');
    const pcm = int16(wav.subarray(data + 8));
    expect(pcm.length / 24000).toBeGreaterThan(1.5);
    expect(levelVariation(pcm, 24000)).toBeGreaterThan(0.3);
    const t = await client().audio.transcriptions.create({ file: await toFile(wav, 'tts.wav'), model: 'parakeet' });
    expect(t.text).toContain('budget meeting starts');
  });

  it('mp3: audio/mpeg that decodes as MP3 to the same length of speech', async () => {
    const r = await speech('mp3');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/mpeg');
    const mp3 = new Uint8Array(await r.arrayBuffer());
    expect(mp3[0]).toBe(0xff);
    expect(mp3[1] & 0xe0).toBe(0xe0); // MPEG frame sync
    const dec = new MPEGDecoder();
    await dec.ready;
    const out = dec.decode(mp3);
    dec.free();
    expect(out.sampleRate).toBe(24000);
    expect(out.samplesDecoded / out.sampleRate).toBeGreaterThan(1.5);
    expect(levelVariation(out.channelData[0], out.sampleRate)).toBeGreaterThan(0.3);
  });

  it('pcm: raw 16-bit 24 kHz samples, no header', async () => {
    const r = await speech('pcm');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/pcm');
    const raw = Buffer.from(await r.arrayBuffer());
    expect(raw.toString('ascii', 0, 4)).not.toBe('RIFF');
    expect(raw.length % 2).toBe(0);
    expect(raw.length / 48000).toBeGreaterThan(1.5);
    expect(levelVariation(int16(raw), 24000)).toBeGreaterThan(0.3);
  });

  it.each(['opus', 'flac', 'aac'])('%s: a 400 naming the format instead of a WAV under another name', async (format) => {
    const r = await speech(format);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/json/);
    expect(JSON.stringify(await r.json())).toContain(format);
  });
});

describe('simulated recogniser on audio without a truth chunk', () => {
  const reason = ensureSystemPackage('espeak-ng', '/usr/bin/espeak-ng');
  if (reason) console.warn(`\n!!! SKIPPING placeholder transcript test: ${reason}\n`);
  it.skipIf(!!reason)('an espeak-ng WAV gets a marked placeholder transcript with words timed inside the speech', async () => {
    const wav = execFileSync('espeak-ng', ['--stdout', 'This is my own recording, made without any hidden truth.']);
    const silence = 0.8, rate = wav.readUInt32LE(24);
    // Lead-in of silence, so "timed to the speech" is checkable.
    const data = wav.indexOf('data');
    const padded = Buffer.concat([wav.subarray(0, data + 8), Buffer.alloc(Math.round(silence * rate) * 2), wav.subarray(data + 8)]);
    padded.writeUInt32LE(0xffffffff, data + 4);
    const t = await client().audio.transcriptions.create({ file: await toFile(padded, 'mine.wav'), model: 'parakeet', response_format: 'verbose_json', timestamp_granularities: ['word'] });
    expect(t.text).toMatch(/^simulated transcript: the simulator heard speech here/);
    expect(t.words!.length).toBeGreaterThanOrEqual(4);
    expect(t.words![0].start).toBeGreaterThanOrEqual(silence - 0.05);
    for (let i = 1; i < t.words!.length; i++) expect(t.words![i].start).toBeGreaterThanOrEqual(t.words![i - 1].start);
  });

  it('digital silence without a truth chunk gets no words', async () => {
    const pcm = Buffer.alloc(16000 * 2 * 2);
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length, 4); h.write('WAVE', 8); h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
    h.writeUInt32LE(16000, 24); h.writeUInt32LE(32000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(pcm.length, 40);
    const t = await client().audio.transcriptions.create({ file: await toFile(Buffer.concat([h, pcm]), 'quiet.wav'), model: 'parakeet' });
    expect(t.text).toBe('');
  });
});
