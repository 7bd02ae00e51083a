import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav, readChunks, wavInFormat, type TruthWord } from './sim/wav.js';
import { normaliseText } from './src/bleed.js';
import { wavHeadFormat, wavHeadSeconds } from './src/wavFile.js';
import { wder } from './src/merge.js';
import { fixtureSkipReason, LOCAL, meeting, stereoCall, type HypWord } from './testFixtures.js';

const reason = fixtureSkipReason;
if (reason) console.warn(`\n!!! SKIPPING espeak stereo-call fixtures: ${reason}\n`);

/** Pairs each reference word with the hypothesis word of the same text at the same time (the copy on the speaker's
 *  own channel first); what is left over on either side are dropped words and inserted duplicates. */
function align(truth: TruthWord[], hyp: HypWord[], ownChannel: (t: TruthWord) => string | undefined) {
  const used = new Set<HypWord>();
  const pairs: Array<{ ref: TruthWord; hyp: HypWord | undefined }> = truth.map((ref) => {
    const cands = hyp.filter((h) => !used.has(h) && normaliseText(h.word) === normaliseText(ref.word) && Math.abs(h.start - ref.start) < 0.06);
    const best = cands.find((h) => h.channel === ownChannel(ref)) ?? cands[0];
    if (best) used.add(best);
    return { ref, hyp: best };
  });
  return { pairs, inserted: hyp.filter((h) => !used.has(h)) };
}

async function post(k: TestKernel, path: string, wav: Buffer, fields: Record<string, string>) {
  const fd = new FormData();
  for (const [key, v] of Object.entries(fields)) fd.append(key, v);
  fd.append('file', new Blob([new Uint8Array(wav)]), 'call.wav');
  return k.fetch(path, { method: 'POST', body: fd });
}

let k: TestKernel;
let fake: () => Promise<{ diarized: Array<{ endpoint: string; offset: number; duration: number; speakers: number }> }>;
beforeAll(async () => {
  // Small chunks so the stitching across chunks runs on half-minute fixtures.
  k = await createTestKernel({ plugins: ['speech'], config: { plugins: { speech: { longAudio: { chunkSec: 10, overlapSec: 2, asrChunkSec: 12 } } } } });
  fake = async () => (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json();
});
afterAll(async () => { await k?.stop(); });

describe('dual-channel stereo call (espeak-ng + sox, bleed both ways)', () => {
  it.skipIf(!!reason)('keeps every local word, suppresses bleed copies, and labels speakers with WDER ≤ 2 %', async () => {
    const call = stereoCall();
    const res = await post(k, '/api/audio/transcribe-with-speakers', call.wav, { channel_mode: 'dual', include_words: 'true' });
    expect(res.status).toBe(200);
    const r = await res.json();
    const hyp: HypWord[] = r.segments.flatMap((s: { words: Array<{ word: string; start: number; end: number; speaker: string; channel: string }> }) => s.words);
    const own = (t: TruthWord) => (t.speaker === LOCAL ? 'local' : 'remote');
    const { pairs, inserted } = align(call.truth, hyp, own);
    const localTruth = pairs.filter((p) => p.ref.speaker === LOCAL);
    const droppedLocal = localTruth.filter((p) => !p.hyp || p.hyp.channel !== 'local');
    const dropped = pairs.filter((p) => !p.hyp);
    const e = wder(pairs.map((p) => p.ref), pairs.map((p) => ({ speaker: p.hyp?.speaker ?? null })));
    // A bleed copy may survive only where both people talked at once (the loudness test cannot separate them there).
    const doubleTalk = (h: HypWord) => call.truth.some((t) => t.speaker === LOCAL && t.end > h.start && t.start < h.end) && call.truth.some((t) => t.speaker !== LOCAL && t.end > h.start && t.start < h.end);
    console.log(`[speech] dual-channel fixture: WDER ${(e * 100).toFixed(2)} % over ${pairs.length} words; local words kept ${localTruth.length - droppedLocal.length}/${localTruth.length}; bleed suppressed ${r.dual_channel.bleed_suppressed} (local ${r.dual_channel.bleed_suppressed_local}, remote ${r.dual_channel.bleed_suppressed_remote}); duplicates left ${inserted.length}; diarization ${r.diarization.mode} in ${r.diarization.chunks} chunks, ASR in ${r.transcription.chunks} chunks per channel`);
    expect(droppedLocal).toEqual([]);
    expect(dropped).toEqual([]);
    expect(e).toBeLessThanOrEqual(0.02);
    expect(inserted.filter((h) => !doubleTalk(h))).toEqual([]);
    expect(r.dual_channel).toMatchObject({ local_channel: 'left', local_label: 'local', thresholds: { min_overlap_pct: 50, louder_db: 6 } });
    expect(r.dual_channel.bleed_suppressed).toBeGreaterThan(20); // the far end's words heard in the local mic, and the echo
    expect(r.dual_channel.local_words).toBe(localTruth.length);
    expect(r.suppressed_bleed_words).toBe(r.dual_channel.bleed_suppressed);
    expect(r.merge.channel_mode).toBe('dual');
    expect(r.transcription.chunks).toBeGreaterThanOrEqual(2); // each channel transcribed in overlapping chunks too
    expect(r.speakers_detected).toBe(3);
    expect(r.segments[0]).toMatchObject({ speaker: 'local', channel: 'local' });
    expect(r.segments.some((s: { channel: string }) => s.channel === 'remote')).toBe(true);
    // The same call with the channels named the other way round: the far end becomes "local".
    const swapped = await (await post(k, '/api/audio/transcribe-with-speakers', call.wav, { channel_mode: 'dual', local_channel: 'right' })).json();
    expect(swapped.dual_channel.local_channel).toBe('right');
    expect(swapped.segments[0].channel).toBe('remote');
  });

  it.skipIf(!!reason)('takes the same call recorded as 24-bit or 32-bit float WAV (converted to 16-bit once, then split)', async () => {
    const call = stereoCall();
    const chunks = readChunks(call.wav);
    const d = chunks.get('data')!;
    const samples = new Int16Array(Array.from({ length: d.length / 2 }, (_, i) => d.readInt16LE(i * 2)));
    const extras = [...chunks].filter(([id]) => id === 'sctx').map(([id, data]) => ({ id, data }));
    const rate = chunks.get('fmt ')!.readUInt32LE(4);
    const reference = await (await post(k, '/api/audio/transcribe-with-speakers', call.wav, { channel_mode: 'dual', include_words: 'true' })).json();
    const words = (r: { segments: Array<{ words: Array<{ word: string; channel: string; speaker: string }> }> }) => r.segments.flatMap((s) => s.words.map((w) => `${w.channel}:${w.speaker}:${w.word}`));
    for (const kind of ['int24', 'float32'] as const) {
      const res = await post(k, '/api/audio/transcribe-with-speakers', wavInFormat(samples, rate, 2, kind, false, extras), { channel_mode: 'dual', include_words: 'true' });
      expect(res.status, kind).toBe(200);
      const r = await res.json();
      expect(r.dual_channel.bleed_suppressed, kind).toBe(reference.dual_channel.bleed_suppressed);
      expect(words(r), kind).toEqual(words(reference));
    }
    // Through the OpenAI route too: a 24-bit stereo call with channel_mode=dual.
    const v = await post(k, '/v1/audio/transcriptions', wavInFormat(samples, rate, 2, 'int24', false, extras), { model: 'parakeet', channel_mode: 'dual', response_format: 'verbose_json', 'timestamp_granularities[]': 'word' });
    expect(v.status).toBe(200);
    expect((await v.json()).words.filter((w: { channel: string }) => w.channel === 'local').length).toBe(reference.dual_channel.local_words);
  });

  it.skipIf(!!reason)('still answers the mixed-mode contract for the same stereo file (the backend downmixes)', async () => {
    const call = stereoCall();
    const r = await (await post(k, '/api/audio/transcribe-with-speakers', call.wav, {})).json();
    expect(r.merge.channel_mode).toBe('mixed');
    expect(r.dual_channel).toBeUndefined();
    expect(r.segments[0]).toMatchObject({ channel: null });
    expect(r.suppressed_bleed_words).toBe(0);
  });
});

describe('long audio: overlapping chunks stitched by fingerprint', () => {
  it.skipIf(!!reason)('diarizes a meeting longer than the chunk in chunks and keeps one label per person across them', async () => {
    const m = meeting();
    const before = (await fake()).diarized.length;
    const d = await (await post(k, '/v1/audio/diarize', m.wav, {})).json();
    const calls = (await fake()).diarized.slice(before);
    expect(d.mode).toBe('chunked');
    expect(d.chunks).toBeGreaterThanOrEqual(3);
    expect(calls.every((c) => c.endpoint === '/v1/audio/diarize-chunk')).toBe(true);
    expect(calls.map((c) => c.offset)).toEqual(Array.from({ length: d.chunks }, (_, i) => i * 8));
    expect(d.speakers).toEqual(['Speaker_0', 'Speaker_1', 'Speaker_2']);
    const w = await (await post(k, '/api/audio/transcribe-with-speakers', m.wav, { include_words: 'true' })).json();
    const hyp: HypWord[] = w.segments.flatMap((s: { words: HypWord[] }) => s.words);
    const { pairs } = align(m.truth, hyp, () => undefined);
    const e = wder(pairs.map((p) => p.ref), pairs.map((p) => ({ speaker: p.hyp?.speaker ?? null })));
    console.log(`[speech] chunked meeting: ${d.chunks} diarization chunks, ${w.transcription.chunks} ASR chunks, ${d.speakers.length} speakers, WDER ${(e * 100).toFixed(2)} % over ${pairs.length} words`);
    expect(pairs.every((p) => p.hyp)).toBe(true);
    expect(e).toBeLessThanOrEqual(0.02);
    expect(w.diarization).toEqual({ mode: 'chunked', chunks: d.chunks });
    expect(w.transcription.chunks).toBeGreaterThanOrEqual(2);
    const rttm = await (await post(k, '/v1/audio/diarize', m.wav, { response_format: 'rttm', mode: 'single' })).text();
    expect(rttm.split('\n')[0]).toMatch(/^SPEAKER audio 1 \d+\.\d{3} \d+\.\d{3} <NA> <NA> Speaker_0 <NA> <NA>$/);
  });

  it.skipIf(!!reason)('transcribes a mono WAV longer than one ASR pass through /v1/audio/transcriptions in overlapping chunks', async () => {
    const m = meeting();
    const fakeAsr = async () => (await (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json()).asrChannels.length as number;
    const before = await fakeAsr();
    const r = await post(k, '/v1/audio/transcriptions', m.wav, { model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': 'word' });
    expect(r.status).toBe(200);
    const v = await r.json();
    const calls = (await fakeAsr()) - before;
    const seconds = wavHeadSeconds(wavHeadFormat(m.wav)!, 0)!;
    // asrChunkSec is 12 here: the meeting goes to parakeet in pieces, never whole.
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(seconds / 12));
    expect(v.duration).toBeCloseTo(seconds, 1);
    const { pairs, inserted } = align(m.truth, v.words.map((w: HypWord) => ({ ...w })), () => undefined);
    console.log(`[speech] long mono transcription: ${seconds.toFixed(1)} s in ${calls} ASR calls, ${pairs.filter((p) => p.hyp).length}/${m.truth.length} words, ${inserted.length} duplicates`);
    expect(pairs.every((p) => p.hyp)).toBe(true);
    expect(inserted).toEqual([]);
  });

  it('surfaces the 4-speaker cap as a warning naming the chunk', async () => {
    // Five people inside one 10 s chunk: the diarizer can only tell four apart.
    const truth: TruthWord[] = ['P1', 'P2', 'P3', 'P4', 'P5'].flatMap((s, i) => [{ word: `w${i}a`, start: 0.5 + i * 1.6, end: 0.9 + i * 1.6, speaker: s }, { word: `w${i}b`, start: 1.0 + i * 1.6, end: 1.4 + i * 1.6, speaker: s }]);
    const pcm = new Int16Array(16000 * 14);
    for (let i = 0; i < pcm.length; i += 7) pcm[i] = 300;
    const wav = pcmWav(pcm, 16000, 1, { id: 'sctx', data: Buffer.from(JSON.stringify(truth)) });
    const d = await (await post(k, '/v1/audio/diarize', wav, { chunk_seconds: '10', overlap_seconds: '2' })).json();
    expect(d.mode).toBe('chunked');
    expect(d.warnings.join(' ')).toMatch(/at most 4 speakers per chunk; chunk 1 of 2/);
    const single = await (await post(k, '/v1/audio/diarize', wav, { mode: 'single' })).json();
    expect(single.warnings.join(' ')).toMatch(/at most 4 speakers/);
  });
});

describe('bad input', () => {
  const mono = pcmWav(new Int16Array(16000), 16000, 1);
  it('refuses dual mode on a mono file, a non-WAV file and a truncated WAV, naming the field', async () => {
    for (const [wav, pattern] of [[mono, /1 channel/], [Buffer.from('PK\u0003\u0004 a zip, not audio'), /not a WAV/], [Buffer.from('ID3\u0003 only looks like an mp3'), /looks like mp3 but holds no audio/], [pcmWav(new Int16Array(32000), 16000, 2).subarray(0, 3000), /truncated/], [pcmWav(new Int16Array(0), 16000, 2), /no audio/]] as const) {
      const res = await post(k, '/api/audio/transcribe-with-speakers', wav, { channel_mode: 'dual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      const p = await res.json();
      expect(p.detail ?? p.title).toMatch(pattern);
      expect(JSON.stringify(p)).toContain('"field":"file"');
    }
  });

  it('names the field for unknown modes and impossible chunking, and rejects chunking a non-WAV', async () => {
    for (const [path, fields, field] of [
      ['/api/audio/transcribe-with-speakers', { channel_mode: 'quad' }, 'channel_mode'],
      ['/api/audio/transcribe-with-speakers', { channel_mode: 'dual', local_channel: '7' }, 'local_channel'],
      ['/v1/audio/diarize', { response_format: 'xml' }, 'response_format'],
      ['/v1/audio/diarize', { chunk_seconds: 'ten' }, 'chunk_seconds'],
      ['/v1/audio/diarize', { chunk_seconds: '10', overlap_seconds: '6' }, 'overlap_seconds'],
    ] as const) {
      const res = await post(k, path, mono, fields);
      expect(res.status, `${path} ${JSON.stringify(fields)}`).toBe(400);
      expect(JSON.stringify(await res.json())).toContain(field);
    }
    const res = await post(k, '/v1/audio/diarize', Buffer.from('ID3 mp3 bytes'), { mode: 'chunked' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('file');
  });
});
