import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav, withChunk, type TruthWord } from './sim/wav.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';
import { assignSpeakers, normaliseWords, toBlocks, wder } from './src/merge.js';

/** A synthetic recording (silence + tone) whose truth rides in the `sctx` chunk the fake services read. */
function syntheticWav(turns: Array<{ speaker: string; text: string; start: number }>, seconds: number): { wav: Buffer; truth: TruthWord[] } {
  const truth: TruthWord[] = [];
  for (const t of turns) {
    const words = t.text.split(' ');
    let at = t.start;
    for (const w of words) { const d = 0.08 * w.length + 0.05; truth.push({ word: w, start: +at.toFixed(3), end: +(at + d).toFixed(3), speaker: t.speaker }); at += d + 0.04; }
  }
  const pcm = new Int16Array(16000 * seconds);
  for (let i = 0; i < pcm.length; i += 7) pcm[i] = 300;
  return { wav: pcmWav(pcm, 16000, 1, { id: 'sctx', data: Buffer.from(JSON.stringify(truth)) }), truth };
}

let k: TestKernel;
let fakeState: () => Promise<{ inFlight: number; maxInFlight: number; requests: number; cancelled: number }>;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['speech'] });
  fakeState = async () => (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json();
});
afterAll(async () => { await k?.stop(); });

const sample = syntheticWav([{ speaker: 'A', text: 'Hello there, this is the transcription test.', start: 0.2 }, { speaker: 'B', text: 'And I answer you right away!', start: 4.5 }], 8);

describe('merge algorithm', () => {
  it('regroups pieces, keeps punctuation tight, assigns zero-length tokens by midpoint and counts the unassigned', () => {
    const words = normaliseWords([{ word: '▁Hello', start: 0, end: 0.4 }, { word: ',', start: 0.4, end: 0.4 }, { word: '▁transcrip', start: 0.5, end: 0.9 }, { word: 'tion', start: 0.9, end: 1.1 }, { word: '▁far', start: 9, end: 9.2 }]);
    expect(words.map((w) => w.word)).toEqual(['Hello,', 'transcription', 'far']);
    const zero = assignSpeakers([{ word: '.', start: 2.02, end: 2.02 }], [{ start: 0, end: 2, speaker: 'S0' }]);
    expect(zero.words[0].speaker).toBe('S0');
    const r = assignSpeakers(words, [{ start: 0, end: 0.6, speaker: 'S0' }, { start: 0.6, end: 1.3, speaker: 'S1' }]);
    expect(r.words.map((w) => w.speaker)).toEqual(['S0', 'S1', null]);
    expect(r.unassigned).toBe(1);
    const blocks = toBlocks([{ word: 'a', start: 0, end: 1, speaker: 'S0' }, { word: 'b', start: 3, end: 4, speaker: 'S0' }, { word: 'c', start: 4.1, end: 5, speaker: 'S1' }]);
    expect(blocks.map((b) => `${b.speaker}:${b.text}`)).toEqual(['S0:a', 'S0:b', 'S1:c']);
  });
});

describe('transcription through the OpenAI client', () => {
  const client = () => new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
  it('answers json, text, srt, vtt and verbose_json with words re-joined', async () => {
    const file = () => toFile(sample.wav, 'talk.wav', { type: 'audio/wav' });
    const json = await client().audio.transcriptions.create({ file: await file(), model: 'parakeet' });
    expect(json.text).toBe('Hello there, this is the transcription test. And I answer you right away!');
    const text = await client().audio.transcriptions.create({ file: await file(), model: 'parakeet', response_format: 'text' });
    expect(String(text).trim()).toBe(json.text);
    const srt = await client().audio.transcriptions.create({ file: await file(), model: 'parakeet', response_format: 'srt' });
    expect(String(srt)).toMatch(/^1\n00:00:00,200 --> 00:00:0\d,\d{3}\nHello there, this is the transcription test\.\n/);
    const vtt = await client().audio.transcriptions.create({ file: await file(), model: 'parakeet', response_format: 'vtt' });
    expect(String(vtt)).toMatch(/^WEBVTT\n\n00:00:00\.200 --> /);
    const verbose = await client().audio.transcriptions.create({ file: await file(), model: 'parakeet', response_format: 'verbose_json', timestamp_granularities: ['word'] });
    expect(verbose.words!.map((w) => w.word)).toContain('transcription');
    expect(verbose.words!.find((w) => w.word === 'test.')).toBeTruthy();
    await expect(client().audio.transcriptions.create({ file: await file(), model: 'parakeet', response_format: 'json', timestamp_granularities: ['word'] })).rejects.toMatchObject({ status: 400 });
  });

  it('labels speakers (diarized_json) and in the existing transcribe-with-speakers contract', async () => {
    const d = await client().audio.transcriptions.create({ file: await toFile(sample.wav, 'talk.wav'), model: 'parakeet', response_format: 'diarized_json' as never });
    const segs = (d as unknown as { segments: Array<{ speaker: string; text: string }> }).segments;
    expect(segs.map((s) => s.speaker)).toEqual(['A', 'B']);
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(sample.wav)]), 'talk.wav');
    const r = await (await k.fetch('/api/audio/transcribe-with-speakers', { method: 'POST', body: fd })).json();
    expect(r).toMatchObject({ speakers_detected: 2, unassigned_words: 0 });
    expect(r.segments[1]).toMatchObject({ speaker: 'Speaker_1', text: 'And I answer you right away!' });
    expect(r.segments[1].start_ms).toBeGreaterThan(4000);
  });

  it('speaks (streamed audio) and lists voices', async () => {
    const res = await client().audio.speech.create({ model: 'kokoro', voice: 'af_bella(2)+af_sky(1)' as never, input: 'Hello there', response_format: 'wav' });
    const buf = Buffer.from(await res.arrayBuffer());
    expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
    expect((await (await k.fetch('/v1/audio/voices')).json()).voices).toContain('af_bella');
    const bad = await k.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'x', voice: 'af_bella; rm -rf /' }) });
    expect(bad.status).toBe(400);
  });

  it("takes OpenAI's instructions and stream_format: audio; a field it does not take is refused by name", async () => {
    const speak = (body: object) => k.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'Hello', voice: 'af_bella', response_format: 'wav', ...body }) });
    const ok = await speak({ instructions: 'calm', stream_format: 'audio' });
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).toString('ascii', 0, 4)).toBe('RIFF');
    // What Kokoro itself takes: OpenAI voice names, subtracting mixes, its own fields.
    for (const extra of [{ voice: 'alloy' }, { voice: 'af_bella-af_sky' }, { voice: 'af_bella(2)+af_sky(1)-am_adam(0.5)' }, { lang_code: 'a', volume_multiplier: 1.5, normalization_options: { normalize: true, url_normalization: false } }]) {
      const r = await speak(extra);
      expect(r.status, JSON.stringify(extra)).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).toString('ascii', 0, 4)).toBe('RIFF');
    }
    const badOption = await speak({ normalization_options: { normalise: true } });
    expect(badOption.status).toBe(400);
    expect((await badOption.json()).error.param).toBe('normalization_options.normalise');
    const sse = await speak({ stream_format: 'sse' });
    expect(sse.status).toBe(400);
    expect((await sse.json()).error.param).toBe('stream_format');
    const unknown = await speak({ sped: 1.2 });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toMatchObject({ param: 'sped', message: expect.stringContaining('sped') });
  });
});

describe('accuracy on spoken multi-speaker fixtures (espeak-ng + sox)', () => {
  const reason = ensureSystemPackage('espeak-ng', '/usr/bin/espeak-ng') ?? ensureSystemPackage('sox', '/usr/bin/sox');
  if (reason) console.warn(`\n!!! SKIPPING espeak fixture test: ${reason}\n`);
  it.skipIf(!!reason)('merges words to speakers with WDER ≤ 2 % on a 3-speaker conversation with pauses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speech-fx-'));
    const turns = [
      { speaker: 'A', voice: 'en-us', text: 'Good morning everyone, let us start with the budget.' },
      { speaker: 'B', voice: 'en-gb', text: 'Thanks. The numbers look fine for the second quarter.' },
      { speaker: 'C', voice: 'en-us+f3', text: 'I have one question about travel costs.' },
      { speaker: 'A', voice: 'en-us', text: 'Go ahead, we have time.' },
      { speaker: 'C', voice: 'en-us+f3', text: 'Why did they double since March?' },
      { speaker: 'B', voice: 'en-gb', text: 'Two conferences moved into this quarter.' },
    ];
    const files: string[] = [];
    const truth: TruthWord[] = [];
    let at = 0;
    turns.forEach((t, i) => {
      const f = join(dir, `t${i}.wav`);
      execFileSync('espeak-ng', ['-v', t.voice, '-s', '160', '-w', join(dir, `r${i}.wav`), t.text]);
      execFileSync('sox', [join(dir, `r${i}.wav`), '-r', '16000', '-c', '1', '-b', '16', f, 'pad', '0', i % 2 ? '0.9' : '1.8']);
      const dur = Number(execFileSync('soxi', ['-D', f]).toString().trim());
      const speech = Number(execFileSync('soxi', ['-D', join(dir, `r${i}.wav`)]).toString().trim());
      const words = t.text.split(' ');
      const total = words.reduce((n, w) => n + w.length + 1, 0);
      let w0 = at;
      for (const w of words) { const d = (speech * (w.length + 1)) / total; truth.push({ word: w, start: +w0.toFixed(3), end: +(w0 + d * 0.85).toFixed(3), speaker: t.speaker }); w0 += d; }
      at += dur;
      files.push(f);
    });
    const all = join(dir, 'all.wav');
    execFileSync('sox', [...files, all]);
    const wav = withChunk(readFileSync(all), 'sctx', Buffer.from(JSON.stringify(truth)));
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(wav)]), 'meeting.wav');
    const r = await (await k.fetch('/api/audio/transcribe-with-speakers', { method: 'POST', body: fd, headers: {} })).json();
    const hyp = r.segments.flatMap((s: { speaker: string; text: string }) => s.text.split(' ').map(() => ({ speaker: s.speaker })));
    expect(hyp).toHaveLength(truth.length);
    const e = wder(truth, hyp);
    console.log(`[speech] WDER on the espeak fixture: ${(e * 100).toFixed(2)} % over ${truth.length} words, ${r.speakers_detected} speakers`);
    expect(e).toBeLessThanOrEqual(0.02);
    expect(r.speakers_detected).toBe(3);
  });
});

describe('limits, bad input, serialisation', () => {
  it('answers 413 before reading an oversized upload, 415 for non-multipart, 400 for bad or truncated multipart', async () => {
    // Claims 300 MB, sends a few bytes: the answer must come from the declared length, without waiting for the rest.
    const big = await new Promise<number>((resolve, reject) => {
      const req = request(`${k.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(300 * 1024 * 1024) } }, (res) => { res.resume(); resolve(res.statusCode!); req.destroy(); });
      req.on('error', reject);
      req.write('--x\r\n');
    });
    expect(big).toBe(413);
    const json = await k.fetch('/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect((await json.json()).error.param).toBe('content-type');
    const bad = await k.fetch('/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, body: 'garbage without parts' });
    expect(bad.status).toBe(400);
    const trunc = await k.fetch('/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, body: '--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF....' });
    expect(trunc.status).toBe(400);
  });

  it('serialises parallel requests (the upstream never sees two at once) and a cancelled client frees the queue', async () => {
    const before = await fakeState();
    const fd = () => { const f = new FormData(); f.append('file', new Blob([new Uint8Array(sample.wav)]), 'a.wav'); return f; };
    const results = await Promise.all(Array.from({ length: 4 }, () => k.fetch('/v1/audio/transcriptions', { method: 'POST', body: fd() }).then((r) => r.status)));
    expect(results).toEqual([200, 200, 200, 200]);
    const after = await fakeState();
    expect(after.maxInFlight).toBe(1);
    expect(after.requests - before.requests).toBe(4);
    // A queued client that leaves is removed from the queue: later requests still go through.
    const ac = new AbortController();
    const slow = k.fetch('/api/audio/transcribe-with-speakers', { method: 'POST', body: fd() });
    const queued = k.fetch('/v1/audio/transcriptions', { method: 'POST', body: fd(), signal: ac.signal }).catch(() => 'aborted');
    setTimeout(() => ac.abort(), 20);
    expect(await queued).toBe('aborted');
    const slowRes = await slow;
    expect(slowRes.status).toBe(200);
    const st = await (await k.fetch('/api/plugins/speech/status')).json();
    expect(st.queues.parakeet).toEqual({ inFlight: 0, waiting: 0 });
  });
});
