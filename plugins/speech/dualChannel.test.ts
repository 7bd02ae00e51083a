import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav, withChunk, type TruthWord } from '../../sim/speech/wav.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';
import { normaliseText } from './src/bleed.js';
import { wder } from './src/merge.js';

/** Spoken fixtures: espeak-ng voices placed on a timeline with sox; word times estimated from the characters of each
 *  utterance (as in speech.test.ts) and carried in the `sctx` chunk the simulated recogniser reads. */
interface Utterance { speaker: string; voice: string; text: string; at: number; gain?: number }
interface HypWord { word: string; start: number; end: number; speaker: string | null; channel?: string }

const reason = ensureSystemPackage('espeak-ng', '/usr/bin/espeak-ng') ?? ensureSystemPackage('sox', '/usr/bin/sox');
if (reason) console.warn(`\n!!! SKIPPING espeak stereo-call fixtures: ${reason}\n`);

const dir = mkdtempSync(join(tmpdir(), 'speech-dual-'));
let n = 0;
const soxi = (f: string) => Number(execFileSync('soxi', ['-D', f]).toString().trim());

/** Renders utterances; returns each placed file and the truth words. `cursor` rules: `at` < 0 means "this many
 *  seconds before the previous utterance ended" (double talk), otherwise the pause after it. */
function render(script: Utterance[]): { placed: Array<{ file: string; speaker: string; gain: number }>; truth: TruthWord[] } {
  const placed: Array<{ file: string; speaker: string; gain: number }> = [];
  const truth: TruthWord[] = [];
  let end = 0;
  for (const u of script) {
    const raw = join(dir, `u${n}.wav`), mono = join(dir, `m${n}.wav`), pad = join(dir, `p${n}.wav`);
    n++;
    execFileSync('espeak-ng', ['-v', u.voice, '-s', '160', '-w', raw, u.text]);
    // Trimmed, so the estimated word times span speech and not espeak's lead-in and tail silence.
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', mono, 'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse']);
    const speech = soxi(mono);
    const start = +(end + u.at).toFixed(3);
    execFileSync('sox', [mono, pad, 'pad', String(start)]);
    const words = u.text.split(' ');
    const total = words.reduce((s, w) => s + w.length + 1, 0);
    let w0 = start;
    for (const w of words) { const d = (speech * (w.length + 1)) / total; truth.push({ word: w, start: +w0.toFixed(3), end: +(w0 + d * 0.85).toFixed(3), speaker: u.speaker }); w0 += d; }
    placed.push({ file: pad, speaker: u.speaker, gain: u.gain ?? 1 });
    end = Math.max(end, start + speech);
  }
  truth.sort((a, b) => a.start - b.start);
  return { placed, truth };
}

function mix(parts: Array<{ file: string; gain: number }>, out: string) {
  const args = parts.length === 1 ? ['-v', String(parts[0].gain), parts[0].file] : ['-m', ...parts.flatMap((p) => ['-v', String(p.gain), p.file])];
  execFileSync('sox', [...args, out, 'pad', '0', '0.5'], { stdio: ['ignore', 'ignore', 'ignore'] });
}

const LOCAL = 'L';
/** Far-end voice leaking into the local mic at -12 dB, local voice echoing into the far-end channel at -20 dB. */
const BLEED_INTO_LOCAL = 0.25, BLEED_INTO_REMOTE = 0.1, LEVEL = 0.5;

function stereoCall(): { wav: Buffer; truth: TruthWord[]; localIsLeft: boolean } {
  const { placed, truth } = render([
    { speaker: LOCAL, voice: 'en-us', text: 'Hi, thanks for calling the support line.', at: 0.3 },
    { speaker: 'R1', voice: 'en-gb', text: 'Hello, my internet stopped working this morning.', at: 0.6 },
    { speaker: LOCAL, voice: 'en-us', text: 'Sorry to hear that. Which router do you have?', at: 0.5 },
    { speaker: 'R1', voice: 'en-gb', text: 'The white one from last year, with the blue lights.', at: 0.4 },
    // Double talk: the local agent murmurs quietly while the caller is still loud on the other channel.
    { speaker: LOCAL, voice: 'en-us', text: 'Okay, I see.', at: -0.7, gain: 0.35 },
    { speaker: 'R2', voice: 'en-us+f3', text: 'It is the model with four antennas.', at: 0.6 },
    { speaker: LOCAL, voice: 'en-us', text: 'Great, please restart it now.', at: 0.5 },
    { speaker: 'R2', voice: 'en-us+f3', text: 'Done, the lights are blinking again.', at: 0.4 },
    { speaker: 'R1', voice: 'en-gb', text: 'Now it works, thank you so much!', at: 1.8 },
  ]);
  const left = join(dir, 'left.wav'), right = join(dir, 'right.wav'), both = join(dir, 'call.wav');
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL * p.gain * (p.speaker === LOCAL ? 1 : BLEED_INTO_LOCAL) })), left);
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL * p.gain * (p.speaker === LOCAL ? BLEED_INTO_REMOTE : 1) })), right);
  execFileSync('sox', ['-M', left, right, both]);
  return { wav: withChunk(readFileSync(both), 'sctx', Buffer.from(JSON.stringify(truth))), truth, localIsLeft: true };
}

function meeting(): { wav: Buffer; truth: TruthWord[] } {
  const { placed, truth } = render([
    { speaker: 'A', voice: 'en-us', text: 'Good morning everyone, let us start with the budget.', at: 0.2 },
    { speaker: 'B', voice: 'en-gb', text: 'Thanks. The numbers look fine for the second quarter.', at: 0.9 },
    { speaker: 'C', voice: 'en-us+f3', text: 'I have one question about travel costs.', at: 1.8 },
    { speaker: 'A', voice: 'en-us', text: 'Go ahead, we have time.', at: 0.9 },
    { speaker: 'C', voice: 'en-us+f3', text: 'Why did they double since March?', at: 1.8 },
    { speaker: 'B', voice: 'en-gb', text: 'Two conferences moved into this quarter.', at: 0.9 },
    { speaker: 'A', voice: 'en-us', text: 'Fine, then we keep the plan as it is.', at: 1.2 },
  ]);
  const out = join(dir, 'meeting.wav');
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL })), out);
  return { wav: withChunk(readFileSync(out), 'sctx', Buffer.from(JSON.stringify(truth))), truth };
}

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
    for (const [wav, pattern] of [[mono, /1 channel/], [Buffer.from('ID3\u0003 definitely an mp3'), /not a WAV/], [pcmWav(new Int16Array(32000), 16000, 2).subarray(0, 3000), /truncated/], [pcmWav(new Int16Array(0), 16000, 2), /no audio/]] as const) {
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
