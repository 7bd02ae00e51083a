import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav } from './sim/wav.js';
import { capSpeakers } from './src/speakerCap.js';
import { wavHeadFormat, wavHeadSeconds } from './src/wavFile.js';
import { fixtureSkipReason, LOCAL, meeting, stereoCall } from './testFixtures.js';

/** `/v1/audio/transcriptions` extensions (services.md §9 A): diarize, channel_mode, local_channel, max_speakers. */
interface SimState { requests: number; maxInFlight: number; diarized: Array<{ endpoint: string; maxSpeakers?: string }>; asrChannels: number[] }
interface VWord { word: string; start: number; end: number; speaker?: string | null; channel?: string }
interface VSeg { id: number; start: number; end: number; text: string; speaker?: string }
interface Verbose { task: string; duration: number; text: string; words?: VWord[]; segments?: VSeg[]; usage: { type: string; seconds: number } }

if (fixtureSkipReason) console.warn(`\n!!! SKIPPING espeak transcription-extension fixtures: ${fixtureSkipReason}\n`);

let k: TestKernel;
let sim: () => Promise<SimState>;
const client = () => new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const fixtures = fixtureSkipReason ? undefined : { meeting: meeting(), call: stereoCall() };

/** The OpenAI client sends the file first and extra body params after it, as form fields. */
async function viaClient(wav: Buffer, params: Record<string, unknown>) {
  return client().audio.transcriptions.create({ file: await toFile(wav, 'audio.wav', { type: 'audio/wav' }), model: 'parakeet', ...params } as never) as unknown as Promise<Verbose>;
}

/** fetch + FormData when the field order matters (fields before the file). */
async function viaForm(wav: Buffer, fields: Record<string, string | string[]>, fieldsFirst = true) {
  const fd = new FormData();
  const add = () => { for (const [key, v] of Object.entries(fields)) for (const one of [v].flat()) fd.append(key, one); };
  if (fieldsFirst) add();
  fd.append('file', new Blob([new Uint8Array(wav)]), 'audio.wav');
  if (!fieldsFirst) add();
  return k.fetch('/v1/audio/transcriptions', { method: 'POST', body: fd });
}

beforeAll(async () => {
  // A request refused for a late bad field is cut upstream, and its slot held for the cooldown (short here).
  k = await createTestKernel({ plugins: ['speech'], config: { plugins: { speech: { cancelCooldownMs: 200 } } } });
  sim = async () => (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json();
});
afterAll(async () => { await k?.stop(); });

describe.skipIf(!!fixtureSkipReason)('diarize on /v1/audio/transcriptions (espeak-ng meeting, 3 speakers)', () => {
  it('verbose_json + diarize: segments and words carry speaker, words no channel; json ignores diarize (no diarizer pass)', async () => {
    const m = fixtures!.meeting;
    const v = await viaClient(m.wav, { response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'], diarize: true });
    expect(v.words!.length).toBe(m.truth.length);
    expect(v.words!.every((w) => typeof w.speaker === 'string' && w.channel === undefined)).toBe(true);
    expect(new Set(v.words!.map((w) => w.speaker))).toEqual(new Set(['Speaker_0', 'Speaker_1', 'Speaker_2']));
    expect(v.segments!.every((s) => typeof s.speaker === 'string')).toBe(true);
    // A segment never spans two speakers: every word inside it has the segment's speaker.
    for (const s of v.segments!) for (const w of v.words!.filter((x) => x.start >= s.start && x.end <= s.end)) expect(w.speaker).toBe(s.speaker);
    // Words against the script: one truth speaker ↔ one label.
    const pairs = new Set(m.truth.map((t, i) => `${t.speaker}>${v.words![i].speaker}`));
    expect(pairs.size).toBe(3);
    // Without diarize the same request has no speaker anywhere.
    const plain = await viaClient(m.wav, { response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'] });
    expect(JSON.stringify(plain)).not.toContain('"speaker"');
    const before = (await sim()).diarized.length;
    const json = await viaClient(m.wav, { diarize: true });
    expect(Object.keys(json).sort()).toEqual(['text', 'usage']);
    expect(json.text).toBe(plain.text);
    expect((await sim()).diarized.length).toBe(before);
  });

  it('diarized_json follows §9 A: task, duration, text, transcript.text.segment with seg_N ids, speakers A/B/C, usage', async () => {
    const m = fixtures!.meeting;
    const d = await viaClient(m.wav, { response_format: 'diarized_json' }) as unknown as { task: string; duration: number; text: string; segments: Array<Record<string, unknown>>; usage: unknown };
    expect(Object.keys(d).sort()).toEqual(['duration', 'segments', 'task', 'text', 'usage']);
    expect(d.task).toBe('transcribe');
    expect(d.duration).toBeGreaterThan(20);
    expect(d.usage).toEqual({ type: 'duration', seconds: Math.ceil(d.duration) });
    expect(d.segments.map((s) => s.speaker)).toEqual(['A', 'B', 'C', 'A', 'C', 'B', 'A']);
    d.segments.forEach((s, i) => {
      expect(Object.keys(s).sort()).toEqual(['end', 'id', 'speaker', 'start', 'text', 'type']);
      expect(s).toMatchObject({ type: 'transcript.text.segment', id: `seg_${i}` });
      expect(s.end as number).toBeGreaterThan(s.start as number);
    });
    expect(d.segments[1].text).toBe('Thanks. The numbers look fine for the second quarter.');
  });

  it('max_speakers is sent to the diarizer and enforced: 2 leaves two speakers, the least heard merged', async () => {
    const m = fixtures!.meeting;
    const before = (await sim()).diarized.length;
    const d = await viaClient(m.wav, { response_format: 'diarized_json', max_speakers: 2 }) as unknown as { segments: Array<{ speaker: string }> };
    expect(new Set(d.segments.map((s) => s.speaker))).toEqual(new Set(['A', 'B']));
    const calls = (await sim()).diarized.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.maxSpeakers === '2')).toBe(true);
    const one = await viaClient(m.wav, { response_format: 'verbose_json', diarize: true, max_speakers: 1 });
    expect(new Set(one.segments!.map((s) => s.speaker))).toEqual(new Set(['Speaker_0']));
  });
});

describe.skipIf(!!fixtureSkipReason)('channel_mode=dual on /v1/audio/transcriptions (espeak-ng stereo call)', () => {
  it('words carry channel; the stereo file never reaches parakeet whole, whichever side of the file the fields are', async () => {
    const call = fixtures!.call;
    const localWords = call.truth.filter((t) => t.speaker === LOCAL).length;
    for (const order of ['client (fields after the file)', 'fields first'] as const) {
      const before = await sim();
      const v: Verbose = order === 'fields first'
        ? await (await viaForm(call.wav, { channel_mode: 'dual', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'], diarize: 'true' })).json()
        : await viaClient(call.wav, { channel_mode: 'dual', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'], diarize: true });
      const after = await sim();
      expect(v.words!.filter((w) => w.channel === 'local').length, order).toBe(localWords);
      expect(v.words!.filter((w) => w.channel === 'local').every((w) => w.speaker === 'local')).toBe(true);
      expect(new Set(v.words!.filter((w) => w.channel === 'remote').map((w) => w.speaker))).toEqual(new Set(['Speaker_0', 'Speaker_1']));
      expect(v.segments!.some((s) => s.speaker === 'local')).toBe(true);
      // Two mono channels transcribed, one diarized; nothing else went upstream.
      expect(after.requests - before.requests, order).toBe(3);
      expect(after.asrChannels.slice(-2)).toEqual([1, 1]);
    }
  });

  it('without diarize words carry channel but no speaker (the remote channel is not diarized); local_channel=1 swaps sides', async () => {
    const call = fixtures!.call;
    const before = (await sim()).diarized.length;
    const v = await viaClient(call.wav, { channel_mode: 'dual', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'] });
    expect(v.words!.every((w) => (w.channel === 'local' || w.channel === 'remote') && w.speaker === undefined)).toBe(true);
    expect(v.segments!.every((s) => s.speaker === undefined)).toBe(true);
    expect((await sim()).diarized.length).toBe(before);
    const swapped = await viaClient(call.wav, { channel_mode: 'dual', local_channel: 1, response_format: 'verbose_json', timestamp_granularities: ['word'] });
    expect(swapped.words![0].channel).toBe('remote'); // the agent speaks first, on the left: now the "remote" side
    const d = await viaClient(call.wav, { channel_mode: 'dual', response_format: 'diarized_json' }) as unknown as { segments: Array<{ speaker: string }> };
    expect(d.segments[0].speaker).toBe('local');
    expect(new Set(d.segments.map((s) => s.speaker))).toEqual(new Set(['local', 'A', 'B']));
  });

  it('a stereo WAV in mixed mode (channel_mode omitted) is still transcribed as one mix, from the spooled copy', async () => {
    const call = fixtures!.call;
    const before = await sim();
    const json = await viaClient(call.wav, {});
    const after = await sim();
    expect(json.text.split(' ').length).toBeGreaterThan(30);
    expect(after.requests - before.requests).toBe(1);
    expect(after.asrChannels.at(-1)).toBe(2);
    const srt = await viaClient(call.wav, { response_format: 'srt', channel_mode: 'mixed' });
    expect(String(srt)).toMatch(/^1\n00:00:00,\d{3} --> /);
  });
});

describe('bad extension values', () => {
  const mono = pcmWav(new Int16Array(16000), 16000, 1);
  it('answers 400 in the OpenAI envelope naming the param, wherever the field sits in the form', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ diarize: 'maybe' }, 'diarize'], [{ channel_mode: 'quad' }, 'channel_mode'], [{ local_channel: '2' }, 'local_channel'],
      [{ max_speakers: '0' }, 'max_speakers'], [{ max_speakers: '5' }, 'max_speakers'], [{ max_speakers: '1.5' }, 'max_speakers'], [{ max_speakers: 'two' }, 'max_speakers'],
      [{ response_format: 'xml' }, 'response_format'], [{ channel_mode: 'dual' }, 'file'],
    ];
    for (const [fields, param] of cases) {
      for (const first of [true, false]) {
        const res = await viaForm(mono, fields, first);
        expect(res.status, `${JSON.stringify(fields)} first=${first}`).toBe(400);
        const body = await res.json();
        expect(body.error, JSON.stringify(fields)).toMatchObject({ type: 'invalid_request_error', param });
        expect(body.error.message).toBeTruthy();
      }
    }
    await expect(viaClient(mono, { max_speakers: 9 })).rejects.toMatchObject({ status: 400, param: 'max_speakers' });
    const garbage = await viaForm(Buffer.from('ID3 not a wav at all'), { channel_mode: 'dual' });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).error.param).toBe('file');
    // Nothing overlapped upstream, and the queue is empty again.
    expect((await sim()).maxInFlight).toBe(1);
    let q: unknown;
    for (let i = 0; i < 50; i++) { q = (await (await k.fetch('/api/plugins/speech/status')).json()).queues.parakeet; if (JSON.stringify(q) === '{"inFlight":0,"waiting":0}') break; await new Promise((r) => setTimeout(r, 100)); }
    expect(q).toEqual({ inFlight: 0, waiting: 0 });
  });
});

describe('no silently ignored form field', () => {
  const mono = pcmWav(new Int16Array(16000), 16000, 1);
  it('an unknown field is refused by name with the field it meant (dual_channel → channel_mode), wherever it sits', async () => {
    for (const first of [true, false]) {
      const res = await viaForm(mono, { dual_channel: 'true' }, first);
      expect(res.status).toBe(400);
      const body = await res.json() as { error: { type: string; param: string; message: string } };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'dual_channel' });
      expect(body.error.message).toContain('did you mean channel_mode?');
    }
    const other = await viaForm(mono, { zz_not_a_field: '1' });
    expect(other.status).toBe(400);
    expect((await other.json()).error.param).toBe('zz_not_a_field');
  });

  it("OpenAI's own transcription fields are still accepted", async () => {
    const res = await viaForm(mono, { model: 'whisper-1', language: 'en', prompt: 'names: Ada', response_format: 'verbose_json', temperature: '0', 'timestamp_granularities[]': ['word', 'segment'] }, false);
    expect(res.status).toBe(200);
    expect((await res.json()).task).toBe('transcribe');
  });
});

describe.skipIf(!!fixtureSkipReason)("/v1/audio/diarize keeps parakeet's fields next to the new ones", () => {
  it('segments carry start_s/end_s as well as start/end, and models names the diarizer', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(fixtures!.meeting.wav)]), 'audio.wav');
    const res = await k.fetch('/v1/audio/diarize', { method: 'POST', body: fd });
    expect(res.status).toBe(200);
    const d = await res.json() as { model: string; models: { diarization: string }; segments: Array<{ start: number; end: number; start_s: number; end_s: number; speaker: string }> };
    expect(d.segments.length).toBeGreaterThan(1);
    for (const s of d.segments) { expect(s.start_s).toBe(s.start); expect(s.end_s).toBe(s.end); }
    expect(d.models.diarization).toBe(d.model);
    expect(d.model).toBeTruthy();
    // parakeet's voice fingerprints come back too, one per speaker of the answer (the old tool's clients cluster them).
    const { speakers, fingerprints } = d as unknown as { speakers: string[]; fingerprints: Record<string, number[]> };
    expect(Object.keys(fingerprints).sort()).toEqual([...speakers].sort());
    for (const f of Object.values(fingerprints)) { expect(f.length).toBe(192); expect(f.every(Number.isFinite)).toBe(true); }
  });
});

describe('helpers', () => {
  it('reads channels, rate and duration from the first bytes of a WAV and nothing from other bytes', () => {
    expect(wavHeadFormat(pcmWav(new Int16Array(8), 16000, 2).subarray(0, 64))).toEqual({ channels: 2, rate: 16000, blockAlign: 4, bitsPerSample: 16, dataBytes: 16 });
    const mono = wavHeadFormat(pcmWav(new Int16Array(32000), 16000, 1, { id: 'LIST', data: Buffer.alloc(100) }))!;
    expect(mono.channels).toBe(1);
    expect(wavHeadSeconds(mono, 0)).toBe(2);
    // A streaming writer's unknown size: the upload's size bounds the duration instead.
    const streamed = pcmWav(new Int16Array(16), 16000, 1);
    streamed.writeUInt32LE(0xffffffff, 40);
    expect(wavHeadFormat(streamed)!.dataBytes).toBeUndefined();
    expect(wavHeadSeconds(wavHeadFormat(streamed)!, 64_000)).toBe(2);
    expect(wavHeadSeconds(wavHeadFormat(streamed)!, 0)).toBeUndefined();
    expect(wavHeadFormat(Buffer.from('RIFF'))).toBeUndefined();
    expect(wavHeadFormat(Buffer.from('ID3 whatever else comes here'))).toBeUndefined();
  });

  it('caps speakers: least heard into the closest voice, else the nearest in time; labels renumbered', () => {
    const turns = [{ start: 0, end: 5, speaker: 'Speaker_0' }, { start: 5, end: 6, speaker: 'Speaker_1' }, { start: 6, end: 12, speaker: 'Speaker_2' }];
    const byTime = capSpeakers(turns, 2);
    expect(byTime.merged).toEqual([{ from: 'Speaker_1', into: 'Speaker_0', by: 'time' }]);
    expect(byTime.turns).toEqual([{ start: 0, end: 6, speaker: 'Speaker_0' }, { start: 6, end: 12, speaker: 'Speaker_1' }]);
    const byVoice = capSpeakers(turns, 2, { Speaker_0: [1, 0], Speaker_1: [0.1, 1], Speaker_2: [0, 1] });
    expect(byVoice.merged[0]).toMatchObject({ from: 'Speaker_1', into: 'Speaker_2', by: 'voice' });
    expect(byVoice.speakers).toEqual(['Speaker_0', 'Speaker_1']);
    expect(capSpeakers(turns, 4).turns).toEqual(turns);
  });
});
