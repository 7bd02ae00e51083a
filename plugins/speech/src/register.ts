import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SparkError, type HttpResponse, type PluginContext, type RouteContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { SpeechConfig } from './config.js';
import { toSrt, toVerbose, toVtt, type Segment, type Transcript } from './formats.js';
import { transcribeDual, type ChannelWord } from './dualChannel.js';
import { diarizeFile, type Diarization, type DiarizeOptions } from './longDiarize.js';
import { transcribeFile } from './longTranscribe.js';
import { assignSpeakers, joinWords, normaliseWords, toBlocks, type SpeakerWord, type Word } from './merge.js';
import { UpstreamQueue } from './queue.js';
import { diarizeFields, parseFields, speakerFields, transcriptionFields } from './requestFields.js';
import { smoothOverlaps } from './smoothing.js';
import { asrAnswer, diarAnswer, type AsrAnswer } from './upstreamSchemas.js';
import { diarizeChunkResponse, diarizeResponse, statusResponse, transcribeWithSpeakersResponse, transcriptionResponse, voicesResponse } from './responses.js';
import { multipartFromFile, spoolUpload, streamUpload } from './upload.js';
import { compressedFormat, toPcm16Wav } from './decodeCompressed.js';
import { checkWavHead, readWavInfo, wavHeadFormat, wavHeadSeconds } from './wavFile.js';

const FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json', 'diarized_json'] as const;
/** OpenAI's voice names, which Kokoro-FastAPI maps onto its own voices. */
const OPENAI_VOICES = 'alloy|ash|ballad|coral|echo|fable|onyx|nova|sage|shimmer|verse';
const ONE_VOICE = `(?:[a-z]{2}_[a-z0-9]+|${OPENAI_VOICES})(?:\\(\\d+(?:\\.\\d+)?\\))?`;
const VOICE_MIX = new RegExp(`^${ONE_VOICE}(?:[+-]${ONE_VOICE}){0,4}$`);

/** The transcription model, as answers name it and usage counts it. */
const ASR_MODEL = 'nvidia/parakeet-tdt-0.6b';
const speechBody = z.object({
  model: z.string().max(100).optional(),
  input: z.string().min(1, 'required').max(10_000),
  /** What Kokoro takes: a voice (its own, or an OpenAI name it maps) or a weighted mix that adds (`+`) or subtracts
   *  (`-`) voices: `af_bella`, `alloy`, `af_bella(2)+af_sky(1)`, `af_bella-af_sky`. */
  voice: z.string().max(200).regex(VOICE_MIX, 'a voice like af_bella or alloy, or a mix like af_bella(2)+af_sky(1) or af_bella-af_sky').default('af_heart'),
  response_format: z.enum(['mp3', 'wav', 'opus', 'flac', 'pcm', 'aac']).default('mp3'),
  speed: z.number().min(0.25).max(4).optional(),
  stream: z.boolean().optional(),
  /** OpenAI's fields the contract accepts (services.md §9 D): Kokoro has no style prompt, so `instructions` changes
   *  nothing; `stream_format` only `audio` (SSE is not offered). */
  instructions: z.string().max(4096).optional(),
  stream_format: z.enum(['audio']).optional(),
  /** Kokoro's own fields, passed on: the phonemizer language, a loudness factor, its text normalisation switches. */
  lang_code: z.string().regex(/^[a-z]{1,5}$/, 'a Kokoro language code like a, b, e, f, j, z').nullable().optional(),
  volume_multiplier: z.number().min(0).max(10).optional(),
  normalization_options: z.object({
    normalize: z.boolean().optional(), unit_normalization: z.boolean().optional(), url_normalization: z.boolean().optional(),
    email_normalization: z.boolean().optional(), optional_pluralization_normalization: z.boolean().optional(),
    phone_normalization: z.boolean().optional(), replace_remaining_symbols: z.boolean().optional(),
  }).optional(),
});

async function readJson<T extends z.ZodType>(res: HttpResponse, schema: T, what: string): Promise<z.output<T>> {
  let text = '';
  for await (const c of res.body) { text += c; if (text.length > 64 * 1024 * 1024) throw new SparkError('SPEECH_UPSTREAM_TOO_LARGE', `${what} answered with too much data`, { status: 502 }); }
  if (res.status === 503) throw new SparkError('SPEECH_UPSTREAM_BUSY', `${what} is busy`, { status: 503, retryAfter: Number(res.headers['retry-after'] ?? 5) || 5 });
  if (res.status >= 400) throw new SparkError('SPEECH_UPSTREAM_ERROR', `${what} refused the audio (${res.status}): ${text.slice(0, 200)}`, { status: res.status < 500 ? 422 : 502 });
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new SparkError('SPEECH_UPSTREAM_GARBAGE', `${what} sent a response that is not JSON`, { status: 502 }); }
  const r = schema.safeParse(json);
  if (!r.success) throw new SparkError('SPEECH_UPSTREAM_SCHEMA', `${what} sent an unexpected response`, { status: 502 });
  return r.data;
}

type OutWord = Word & { speaker?: string | null; channel?: 'local' | 'remote' };

/** Segments for text/srt/vtt/verbose_json: sentences, split on end punctuation or pauses over 1 s, and on a change
 *  of speaker or channel when words carry them (then each segment names its speaker). */
function segmentsOf(words: OutWord[], bySpeaker = false): Segment[] {
  const segs: Segment[] = [];
  let cur: OutWord[] = [];
  const flush = () => { if (cur.length) segs.push({ id: segs.length, start: cur[0].start, end: cur[cur.length - 1].end, text: joinWords(cur), ...(bySpeaker ? { speaker: cur[0].speaker ?? 'unknown' } : {}) }); cur = []; };
  const key = (w: OutWord) => `${bySpeaker ? w.speaker ?? 'unknown' : ''}|${w.channel ?? ''}`;
  for (const w of words) {
    if (cur.length && (w.start - cur[cur.length - 1].end > 1 || key(w) !== key(cur[cur.length - 1]))) flush();
    cur.push(w);
    if (/[.!?]$/.test(w.word)) flush();
  }
  flush();
  return segs;
}

export function registerSpeech(ctx: PluginContext<SpeechConfig>): void {
  const cfg = () => ctx.config.get();
  const parakeet = new UpstreamQueue('parakeet', cfg().maxInFlight, cfg().maxQueue);
  const kokoro = new UpstreamQueue('kokoro', cfg().maxInFlight, cfg().maxQueue);
  ctx.history.series({ name: 'queue', unit: 'requests', help: 'Requests waiting for the speech services', sample: () => [{ labels: { service: 'parakeet' }, value: parakeet.depth }, { labels: { service: 'kokoro' }, value: kokoro.depth }] });
  parakeet.cooldownMs = cfg().cancelCooldownMs;
  ctx.config.watch((n) => { parakeet.configure(n.maxInFlight, n.maxQueue); kokoro.configure(n.maxInFlight, n.maxQueue); parakeet.cooldownMs = n.cancelCooldownMs; });
  const up = (service: 'parakeet' | 'kokoro'): UpstreamRef => {
    const e = ctx.cluster.service(service);
    return { service, hostId: e.hostId, baseUrl: e.baseUrl };
  };
  const spool = join(ctx.dataDir, 'spool');
  mkdirSync(spool, { recursive: true });
  const recent: Array<{ at: string; route: string; ms: number; status: number }> = [];
  const note = (route: string, t0: number, status: number) => { recent.push({ at: new Date().toISOString(), route, ms: Math.round(performance.now() - t0), status }); if (recent.length > 20) recent.shift(); };
  const maxBytes = () => cfg().maxUploadMB * 1024 * 1024;

  const post = (path: string, body: { body: NodeJS.ReadableStream; contentType: string }, timeoutSec: number, signal: AbortSignal) =>
    ctx.http.request(up('parakeet'), path, { method: 'POST', body: body.body as never, headers: { 'content-type': body.contentType }, timeoutMs: timeoutSec * 1000, signal });

  function checkFormat(fields: Record<string, string[]>) {
    const format = (fields.response_format?.[0] ?? 'json') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new SparkError('SPEECH_BAD_FORMAT', `response_format must be one of ${FORMATS.join(', ')}`, { status: 400, details: { errors: [{ field: 'response_format', message: 'unsupported' }] } });
    const gran = [...(fields['timestamp_granularities[]'] ?? []), ...(fields.timestamp_granularities ?? [])];
    if (gran.some((g) => g !== 'word' && g !== 'segment')) throw new SparkError('SPEECH_BAD_GRANULARITY', 'timestamp_granularities must be word and/or segment', { status: 400, details: { errors: [{ field: 'timestamp_granularities', message: 'unsupported' }] } });
    if (gran.includes('word') && format !== 'verbose_json') throw new SparkError('SPEECH_GRANULARITY_NEEDS_VERBOSE', 'word timestamps need response_format=verbose_json', { status: 400, details: { errors: [{ field: 'timestamp_granularities', message: 'word requires verbose_json' }] } });
    return { format, gran };
  }

  function render(c: RouteContext, t: Transcript, format: string, gran: string[]) {
    if (format === 'text') { c.setHeader('Content-Type', 'text/plain; charset=utf-8'); return t.text; }
    if (format === 'srt') { c.setHeader('Content-Type', 'application/x-subrip; charset=utf-8'); return toSrt(t); }
    if (format === 'vtt') { c.setHeader('Content-Type', 'text/vtt; charset=utf-8'); return toVtt(t); }
    if (format === 'verbose_json') return toVerbose(t, gran);
    return { text: t.text, usage: { type: 'duration', seconds: Math.ceil(t.duration) } };
  }

  const capWarning = (n: number | undefined) => (n !== undefined && n >= 4 ? ['The diarizer separates at most 4 speakers; if more people spoke, some were merged.'] : []);

  const tmpPath = (tag: string) => join(spool, `${tag}-${Date.now()}-${Math.random().toString(36).slice(2)}.wav`);
  const callAsr = (path: string, filename: string, signal: AbortSignal) =>
    parakeet.run(async () => readJson(await post('/v1/audio/transcriptions', multipartFromFile(path, filename, { model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'] }), cfg().asrTimeoutSec, signal), asrAnswer, 'parakeet'), signal);
  const callDiarizer = (signal: AbortSignal) => (endpoint: '/v1/audio/diarize' | '/v1/audio/diarize-chunk', path: string, filename: string, fields: Record<string, string> = {}) =>
    parakeet.run(async () => readJson(await post(endpoint, multipartFromFile(path, filename, fields), cfg().diarizeTimeoutSec, signal), diarAnswer, 'the diarizer'), signal);
  const asrChunking = () => ({ chunkSec: cfg().longAudio.asrChunkSec, overlapSec: cfg().longAudio.overlapSec });
  const diarizeOptions = (f: { mode: DiarizeOptions['mode']; chunk_seconds?: number; overlap_seconds?: number; max_speakers?: number }): DiarizeOptions => {
    const l = cfg().longAudio;
    const chunkSec = f.chunk_seconds ?? l.chunkSec;
    return { mode: f.mode, chunkSec, overlapSec: Math.min(f.overlap_seconds ?? l.overlapSec, chunkSec / 3), clusterThreshold: l.clusterThreshold, maxSpeakers: f.max_speakers };
  };
  /** ASR (chunked past `asrChunkSec`) and diarization (chunked past `chunkSec`) of a file on disk, each call queued. */
  const pipelines = (signal: AbortSignal, dOpts: DiarizeOptions) => ({
    diarize: (path: string, filename: string) => diarizeFile(path, filename, dOpts, { call: callDiarizer(signal), tmpPath }),
    transcribe: (path: string, filename: string) => transcribeFile(path, filename, asrChunking(), { call: (p, n) => callAsr(p, n, signal), tmpPath }),
  });

  /** The dual-channel pipeline shared by transcribe-with-speakers and /v1/audio/transcriptions: the file must be a
   *  stereo 16-bit PCM WAV; both channels are transcribed, the remote one diarized (skipped when `diarize` is false:
   *  its words then have no speaker) and bleed copies dropped (dualChannel.ts). */
  async function dualChannel(path: string, f: { local_channel?: '0' | '1' | 'left' | 'right' }, dOpts: DiarizeOptions, signal: AbortSignal, o: { diarize: boolean }) {
    const wav = await readWavInfo(path);
    const bad = !wav.ok ? wav.reason : wav.info.channels !== 2 ? `has ${wav.info.channels} channel${wav.info.channels === 1 ? '' : 's'}` : wav.info.duration === 0 ? 'has no audio samples' : undefined;
    if (bad || !wav.ok) {
      throw new SparkError('SPEECH_DUAL_NEEDS_STEREO', `channel_mode=dual needs a 2-channel PCM WAV file; this file ${bad}`, { status: 400, details: { errors: [{ field: 'file', message: `${bad}; channel_mode=dual needs a stereo PCM WAV` }] } });
    }
    const dc = cfg().dualChannel;
    const localChannel = f.local_channel === undefined ? (dc.localChannel === 'left' ? 0 : 1) : f.local_channel === '0' || f.local_channel === 'left' ? 0 : 1;
    const thresholds = { minOverlapRatio: dc.bleedMinOverlapPct / 100, louderDb: dc.bleedLouderDb };
    const p = pipelines(signal, dOpts);
    const noDiarization = async (): Promise<Diarization> => ({ duration: wav.info.duration, mode: 'single', chunks: 0, turns: [], speakers: [], model: 'none', warnings: [], fingerprints: {} });
    const r = await transcribeDual(path, wav.info, { localChannel, localLabel: dc.localLabel, thresholds }, { transcribe: p.transcribe, diarize: o.diarize ? p.diarize : noDiarization, tmpPath });
    return { r, dual: { local_channel: localChannel === 0 ? 'left' : 'right', local_label: dc.localLabel, ...r.counts, thresholds: { min_overlap_pct: dc.bleedMinOverlapPct, louder_db: dc.bleedLouderDb } } };
  }

  /** ASR + diarization on the same audio (spooled once), merged into speaker-labelled blocks; `channel_mode=dual`
   *  treats a stereo file as a call with the local microphone on one channel. */
  async function transcribeWithSpeakers(c: RouteContext) {
    const file = await spoolUpload(c, maxBytes(), spool);
    try {
      const f = parseFields(speakerFields, file.fields);
      const dOpts = diarizeOptions(f);
      const { diarize, transcribe } = pipelines(c.signal, dOpts);
      if (f.channel_mode === 'dual') {
        const { r, dual } = await dualChannel(file.path, f, dOpts, c.signal, { diarize: true });
        return {
          fields: f, duration: r.asr.duration, language: r.asr.language, asrChunks: r.asr.chunks, diarization: r.diarization, unassigned: r.unassigned, smoothed: r.smoothed,
          blocks: toBlocks(r.words, { blockGapS: cfg().blockGapSec }), dual,
        };
      }
      const asr = await transcribe(file.path, file.filename);
      const diarization = await diarize(file.path, file.filename);
      const merged = assignSpeakers(normaliseWords(asr.words), diarization.turns);
      const smooth = smoothOverlaps(merged.words, diarization.turns);
      return { fields: f, duration: asr.duration, language: asr.language, asrChunks: asr.chunks, diarization, unassigned: merged.unassigned, smoothed: smooth.smoothed, blocks: toBlocks(smooth.words, { blockGapS: cfg().blockGapSec }), dual: undefined };
    } finally {
      file.cleanup();
    }
  }

  // Programs call these to use the service: an `inference` key may.
  const audio = ctx.publicRoutes('/v1/audio', { scope: 'inference' });
  const audioApi = ctx.publicRoutes('/api/audio', { scope: 'inference' });
  /** OpenAI fields (response_format, timestamp_granularities) and the §9 A extensions, each 400 naming its field. */
  const transcriptionOptions = (fields: Record<string, string[]>) => ({ ...checkFormat(fields), f: parseFields(transcriptionFields, fields) });

  audio.add({ method: 'POST', path: '/transcriptions', bodyMode: 'raw', errorStyle: 'openai', sensitive: true, summary: 'Transcribe (OpenAI multipart contract; diarize, channel_mode, local_channel, max_speakers extensions)', response: transcriptionResponse }, async (c) => {
    const t0 = performance.now();
    // The audio streams straight to parakeet; a copy is kept (in memory while small, else on disk) until the fields
    // (which may arrive after the file) say whether a second pass is needed: diarization (diarized_json, or diarize
    // with verbose_json).
    const copy = join(spool, `tee-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const u = streamUpload(c, maxBytes(), (f) => ({ model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'], ...(f.language?.[0] && /^[a-z]{2}$/.test(f.language[0]) ? { language: f.language[0] } : {}) }), copy);
    try {
      // A stereo call must not reach parakeet whole (it would downmix it). When the fields before the file ask for
      // channel_mode=dual, or a stereo WAV comes without channel_mode=mixed in front of it, the upload is only
      // spooled, and transcribed from disk (per channel, or chunked when long) once every field is in.
      const head = await u.head;
      // Fields sent before the file are checked before anything goes upstream (the granularity rule waits for all).
      parseFields(transcriptionFields, head.fields);
      if (head.fields.response_format) checkFormat({ response_format: head.fields.response_format });
      const early = head.fields.channel_mode?.[0];
      // A WAV longer than parakeet's single pass is spooled too, then transcribed in overlapping chunks from disk.
      const wav = wavHeadFormat(head.bytes);
      if (wav) checkWavHead(wav);
      const seconds = wav && wavHeadSeconds(wav, Number(c.headers['content-length'] ?? 0));
      // MP3/FLAC/Opus/Vorbis say their duration only once decoded: one that could be longer than a single pass (its
      // size at 16 kbit/s, a low speech bitrate, or no size given) is decoded from disk and chunked like a long WAV;
      // a small one streams on.
      const size = Number(c.headers['content-length'] ?? 0);
      const packedLong = !wav && compressedFormat(head.bytes) !== undefined && (!size || size > cfg().longAudio.asrChunkSec * 2000);
      const long = (seconds !== undefined && seconds > cfg().longAudio.asrChunkSec) || packedLong;
      const spooled = early === 'dual' || (early !== 'mixed' && wav?.channels === 2) || long;
      let fields: Record<string, string[]> = {};
      let streamed: AsrAnswer | undefined;
      if (spooled) {
        u.body.resume();
        fields = await u.fields;
        transcriptionOptions(fields);
      } else {
        // Bad fields end the upstream request at once; the slot is held for the cooldown while the GPU lets go.
        const local = new AbortController();
        const signal = AbortSignal.any([c.signal, local.signal]);
        streamed = await parakeet.run(async () => {
          const resP = post('/v1/audio/transcriptions', u, cfg().asrTimeoutSec, signal);
          resP.catch(() => {}); // settled below; a bad upload rejects `u.fields` first
          fields = await u.fields;
          try { transcriptionOptions(fields); } catch (e) { local.abort(); throw e; }
          return readJson(await resP, asrAnswer, 'parakeet');
        }, signal);
      }
      const { format, gran, f } = transcriptionOptions(fields);
      await u.copied;
      const dOpts = diarizeOptions({ mode: 'auto', max_speakers: f.max_speakers });
      const dual = f.channel_mode === 'dual';
      // Speakers only where the answer can carry them; json/text/srt/vtt ignore diarize (no second pass).
      const withSpeakers = format === 'diarized_json' || (f.diarize && format === 'verbose_json');
      // Where the disk copy gets split or sliced, it is in one format (16-bit PCM WAV) first.
      if (dual || !streamed || withSpeakers) { await u.saveCopy(); await toPcm16Wav(copy); }
      let words: OutWord[];
      let duration: number, language: string | undefined, fallbackText = '';
      if (dual) {
        const { r } = await dualChannel(copy, f, dOpts, c.signal, { diarize: withSpeakers });
        ({ words } = r); duration = r.asr.duration; language = r.asr.language;
        if (withSpeakers) c.usage({ audio_seconds: r.diarization.duration }, r.diarization.model);
      } else {
        const asr = streamed ?? await pipelines(c.signal, dOpts).transcribe(copy, 'audio.wav');
        words = normaliseWords(asr.words); duration = asr.duration; language = asr.language; fallbackText = asr.text ?? '';
        if (withSpeakers) {
          const d = await diarizeFile(copy, 'audio.wav', dOpts, { call: callDiarizer(c.signal), tmpPath });
          words = smoothOverlaps(assignSpeakers(words, d.turns).words, d.turns).words;
          c.usage({ audio_seconds: duration }, d.model);
        }
      }
      c.usage({ audio_seconds: duration }, ASR_MODEL);
      const text = joinWords(words) || fallbackText;
      const usage = { type: 'duration', seconds: Math.ceil(duration) };
      note('transcriptions', t0, 200);
      if (format === 'diarized_json') {
        // OpenAI names diarized speakers A, B, … by first appearance; the local channel keeps its configured name.
        const blocks = toBlocks(words.map((w) => ({ ...w, speaker: w.speaker ?? null })), { blockGapS: cfg().blockGapSec });
        const localLabel = cfg().dualChannel.localLabel;
        const letters = new Map<string, string>();
        for (const b of blocks) if (b.speaker !== 'unknown' && !(dual && b.speaker === localLabel) && !letters.has(b.speaker)) letters.set(b.speaker, String.fromCharCode(65 + letters.size));
        return { task: 'transcribe', duration, text, segments: blocks.map((b, id) => ({ type: 'transcript.text.segment', id: `seg_${id}`, start: b.start_ms / 1000, end: b.end_ms / 1000, text: b.text, speaker: letters.get(b.speaker) ?? b.speaker })), usage };
      }
      const out: OutWord[] = words.map((w) => ({ word: w.word, start: w.start, end: w.end, ...(withSpeakers ? { speaker: w.speaker ?? null } : {}), ...(dual ? { channel: w.channel } : {}) }));
      const t: Transcript = { text, language, duration, words: out, segments: segmentsOf(out, withSpeakers) };
      return render(c, t, format, gran);
    } catch (e) {
      u.cancel();
      note('transcriptions', t0, (e as SparkError).status ?? 500);
      throw e;
    } finally {
      await u.copied;
      u.dropCopy();
    }
  });

  audio.add({ method: 'POST', path: '/diarize', bodyMode: 'raw', errorStyle: 'openai', sensitive: true, summary: 'Who spoke when (json or rttm); long audio in overlapping chunks stitched by voice fingerprint', response: diarizeResponse }, async (c) => {
    const t0 = performance.now();
    // Spooled, not streamed: whether to chunk depends on the duration in the WAV header and on form fields that may
    // come after the file.
    const file = await spoolUpload(c, maxBytes(), spool);
    let d;
    let format: 'json' | 'rttm';
    try {
      const f = parseFields(diarizeFields, file.fields);
      format = f.response_format;
      d = await diarizeFile(file.path, file.filename, diarizeOptions(f), { call: callDiarizer(c.signal), tmpPath });
    } catch (e) {
      note('diarize', t0, (e as SparkError).status ?? 500);
      throw e;
    } finally {
      file.cleanup();
    }
    note('diarize', t0, 200);
    c.usage({ audio_seconds: d.duration }, d.model);
    if (format === 'rttm') {
      c.setHeader('Content-Type', 'text/plain; charset=utf-8');
      return d.turns.map((t) => `SPEAKER audio 1 ${t.start.toFixed(3)} ${(t.end - t.start).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>`).join('\n') + '\n';
    }
    return {
      duration: d.duration, model: d.model, mode: d.mode, chunks: d.chunks, speakers: d.speakers, speakers_detected: d.speakers.length,
      // parakeet's own names (start_s/end_s, models) stay next to the new ones: the old tool's clients read them.
      segments: d.turns.map((t) => ({ start: t.start, end: t.end, start_s: t.start, end_s: t.end, speaker: t.speaker })), warnings: d.warnings,
      models: { diarization: d.model }, fingerprints: d.fingerprints,
    };
  });

  audioApi.add({ method: 'POST', path: '/diarize-chunk', bodyMode: 'raw', sensitive: true, summary: 'Diarize one chunk; local labels and speaker fingerprints (existing contract)', response: diarizeChunkResponse }, async (c) => {
    const d = await parakeet.run(async () => {
      const u = streamUpload(c, maxBytes(), () => ({}));
      const resP = post('/v1/audio/diarize-chunk', u, cfg().diarizeTimeoutSec, c.signal);
      resP.catch(() => {});
      await u.fields;
      return readJson(await resP, diarAnswer, 'the diarizer');
    }, c.signal);
    c.usage({ audio_seconds: d.duration }, d.models?.diarization ?? 'nvidia/diar_sortformer_4spk-v1');
    return { duration: d.duration, segments: d.segments, speakers_detected: d.speakers_detected ?? 0, fingerprints: d.fingerprints ?? {}, models: d.models ?? {}, warnings: capWarning(d.speakers_detected) };
  });

  audioApi.add({ method: 'POST', path: '/transcribe-with-speakers', bodyMode: 'raw', sensitive: true, summary: 'ASR + diarization merged into speaker turns (existing contract; channel_mode=dual for stereo calls)', response: transcribeWithSpeakersResponse }, async (c) => {
    const t0 = performance.now();
    let r;
    try {
      r = await transcribeWithSpeakers(c);
    } catch (e) {
      note('transcribe-with-speakers', t0, (e as SparkError).status ?? 500);
      throw e;
    }
    note('transcribe-with-speakers', t0, 200);
    c.usage({ audio_seconds: r.duration }, ASR_MODEL);
    c.usage({ audio_seconds: r.diarization.duration }, r.diarization.model);
    const speakers = new Set(r.blocks.map((b) => b.speaker).filter((s) => s !== 'unknown'));
    const withWords = r.fields.include_words === 'true';
    const channelOf = (ws: SpeakerWord[] | undefined) => (r.dual ? ((ws?.[0] as ChannelWord | undefined)?.channel ?? null) : null);
    return {
      duration: r.duration, language: r.language ?? 'en', speakers_detected: speakers.size,
      segments: r.blocks.map((b) => ({ start_ms: b.start_ms, end_ms: b.end_ms, speaker: b.speaker, channel: channelOf(b.words), text: b.text, ...(withWords ? { words: b.words?.map((w) => ({ word: w.word, start: w.start, end: w.end, start_ms: Math.round(w.start * 1000), end_ms: Math.round(w.end * 1000), speaker: w.speaker, ...(r.dual ? { channel: (w as ChannelWord).channel } : {}) })) } : {}) })),
      models: { transcription: ASR_MODEL, diarization: r.diarization.model },
      unassigned_words: r.unassigned,
      suppressed_bleed_words: r.dual?.bleed_suppressed ?? 0,
      merge: { algorithm: 'max_overlap', smoothing: '3-word majority on overlapped words', smoothed_words: r.smoothed, gap_split_ms: Math.round(cfg().blockGapSec * 1000), channel_mode: r.dual ? 'dual' : 'mixed' },
      diarization: { mode: r.diarization.mode, chunks: r.diarization.chunks },
      transcription: { chunks: r.asrChunks },
      ...(r.dual ? { dual_channel: r.dual } : {}),
      warnings: r.diarization.warnings,
    };
  });

  // Text to speech: validated JSON in, audio streamed back chunk by chunk.
  audio.add({ method: 'POST', path: '/speech', body: speechBody, errorStyle: 'openai', summary: 'Text to speech (Kokoro; voice mixes allowed)' }, async (c) => {
    const t0 = performance.now();
    await kokoro.run(() => ctx.http.proxy(c, up('kokoro'), { path: '/v1/audio/speech', body: JSON.stringify({ ...c.body, model: 'kokoro' }), headers: { 'content-type': 'application/json' }, timeoutMs: cfg().ttsTimeoutSec * 1000, errorStyle: 'openai' }), c.signal);
    note('speech', t0, 200);
    if (c.res.statusCode < 400) c.usage({ characters: c.body.input.length }, c.body.voice);
    return undefined;
  });
  audio.add({ method: 'GET', path: '/voices', errorStyle: 'openai', summary: 'Voices (both upstream shapes normalised to {voices: [...]})', response: voicesResponse }, async () => {
    const raw = await ctx.http.fetchJson(up('kokoro'), '/v1/audio/voices', z.union([z.array(z.union([z.string(), z.object({ id: z.string() }), z.object({ name: z.string() })])), z.object({ voices: z.array(z.union([z.string(), z.object({ id: z.string() }), z.object({ name: z.string() })])) })]), { timeoutMs: 10_000 });
    const list = Array.isArray(raw) ? raw : raw.voices;
    return { voices: list.map((v) => (typeof v === 'string' ? v : 'id' in v ? v.id : v.name)).sort() };
  });

  ctx.routes.add({ method: 'GET', path: '/status', summary: 'Queue depth and recent requests (no audio or text)', response: statusResponse }, () => ({
    queues: { parakeet: { inFlight: parakeet.inFlight, waiting: parakeet.depth }, kokoro: { inFlight: kokoro.inFlight, waiting: kokoro.depth } }, recent: recent.slice().reverse(),
  }));

  for (const [name, path] of [['parakeet', '/health'], ['kokoro', '/health']] as const) {
    ctx.health.register({
      name, service: name, intervalMs: 30_000, timeoutMs: 3000,
      check: async (signal) => {
        const r = await ctx.http.request(up(name), path, { timeoutMs: 2500, signal });
        r.body.resume();
        return r.status === 200 ? { status: 'up' } : { status: 'down', detail: `HTTP ${r.status}` };
      },
    });
  }
  ctx.tiles.register({ tag: 'spark-speech-tile', module: 'tile.js', title: 'Speech', order: 30 });
}
