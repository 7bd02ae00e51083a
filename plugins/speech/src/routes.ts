import { z } from 'zod';
import type { PluginContext, RouteContext, SparkError } from '@spark-control/plugin-api';
import type { SpeechConfig } from './config.js';
import { ASR_MODEL, type SpeechCoordinator } from './coordinator.js';
import type { ChannelWord } from './dualChannel.js';
import { diarizeFile } from './longDiarize.js';
import { assignSpeakers, normaliseWords, toBlocks, type SpeakerWord } from './merge.js';
import { diarizeFields, parseFields, speakerFields, speechBody } from './requestFields.js';
import { diarizeChunkResponse, diarizeResponse, statusResponse, transcribeWithSpeakersResponse, voicesResponse } from './responses.js';
import { smoothOverlaps } from './smoothing.js';
import { registerTranscriptionRoute } from './transcriptionRoute.js';
import { diarAnswer, readJson } from './upstreamSchemas.js';
import { spoolUpload, streamUpload } from './upload.js';

const capWarning = (n: number | undefined) => (n !== undefined && n >= 4 ? ['The diarizer separates at most 4 speakers; if more people spoke, some were merged.'] : []);

/** ASR + diarization on the same audio (spooled once), merged into speaker-labelled blocks; `channel_mode=dual`
 *  treats a stereo file as a call with the local microphone on one channel. */
async function transcribeWithSpeakers(speech: SpeechCoordinator, c: RouteContext) {
  const file = await spoolUpload(c, speech.maxBytes(), speech.spool);
  try {
    const f = parseFields(speakerFields, file.fields);
    const dOpts = speech.diarizeOptions(f);
    const { diarize, transcribe } = speech.pipelines(c.signal, dOpts);
    if (f.channel_mode === 'dual') {
      const { r, dual } = await speech.dualChannel(file.path, f, dOpts, c.signal, { diarize: true });
      return {
        fields: f, duration: r.asr.duration, language: r.asr.language, asrChunks: r.asr.chunks, diarization: r.diarization, unassigned: r.unassigned, smoothed: r.smoothed,
        blocks: toBlocks(r.words, { blockGapS: speech.cfg().blockGapSec }), dual,
      };
    }
    const asr = await transcribe(file.path, file.filename);
    const diarization = await diarize(file.path, file.filename);
    const merged = assignSpeakers(normaliseWords(asr.words), diarization.turns);
    const smooth = smoothOverlaps(merged.words, diarization.turns);
    return { fields: f, duration: asr.duration, language: asr.language, asrChunks: asr.chunks, diarization, unassigned: merged.unassigned, smoothed: smooth.smoothed, blocks: toBlocks(smooth.words, { blockGapS: speech.cfg().blockGapSec }), dual: undefined };
  } finally {
    file.cleanup();
  }
}

/** Transcription, diarization and speaker-labelled transcripts (the OpenAI routes under /v1/audio, the existing
 *  contract under /api/audio), text to speech and its voices, and the queue status for the tile. */
export function registerSpeechRoutes(ctx: PluginContext<SpeechConfig>, speech: SpeechCoordinator): void {
  // Programs call these to use the service: an `inference` key may.
  const audio = ctx.publicRoutes('/v1/audio', { scope: 'inference' });
  const audioApi = ctx.publicRoutes('/api/audio', { scope: 'inference' });
  registerTranscriptionRoute(speech, audio);

  audio.add({ method: 'POST', path: '/diarize', bodyMode: 'raw', errorStyle: 'openai', sensitive: true, summary: 'Who spoke when (json or rttm); long audio in overlapping chunks stitched by voice fingerprint', response: diarizeResponse }, async (c) => {
    const t0 = performance.now();
    // Spooled, not streamed: whether to chunk depends on the duration in the WAV header and on form fields that may
    // come after the file.
    const file = await spoolUpload(c, speech.maxBytes(), speech.spool);
    let d;
    let format: 'json' | 'rttm';
    try {
      const f = parseFields(diarizeFields, file.fields);
      format = f.response_format;
      d = await diarizeFile(file.path, file.filename, speech.diarizeOptions(f), { call: speech.callDiarizer(c.signal), tmpPath: speech.tmpPath });
    } catch (e) {
      speech.note('diarize', t0, (e as SparkError).status ?? 500);
      throw e;
    } finally {
      file.cleanup();
    }
    speech.note('diarize', t0, 200);
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
    const d = await speech.parakeet.run(async () => {
      const u = streamUpload(c, speech.maxBytes(), () => ({}));
      const resP = speech.post('/v1/audio/diarize-chunk', u, speech.cfg().diarizeTimeoutSec, c.signal);
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
      r = await transcribeWithSpeakers(speech, c);
    } catch (e) {
      speech.note('transcribe-with-speakers', t0, (e as SparkError).status ?? 500);
      throw e;
    }
    speech.note('transcribe-with-speakers', t0, 200);
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
      merge: { algorithm: 'max_overlap', smoothing: '3-word majority on overlapped words', smoothed_words: r.smoothed, gap_split_ms: Math.round(speech.cfg().blockGapSec * 1000), channel_mode: r.dual ? 'dual' : 'mixed' },
      diarization: { mode: r.diarization.mode, chunks: r.diarization.chunks },
      transcription: { chunks: r.asrChunks },
      ...(r.dual ? { dual_channel: r.dual } : {}),
      warnings: r.diarization.warnings,
    };
  });

  // Text to speech: validated JSON in, audio streamed back chunk by chunk.
  audio.add({ method: 'POST', path: '/speech', body: speechBody, errorStyle: 'openai', summary: 'Text to speech (Kokoro; voice mixes allowed)' }, async (c) => {
    const t0 = performance.now();
    await speech.kokoro.run(() => ctx.http.proxy(c, speech.up('kokoro'), { path: '/v1/audio/speech', body: JSON.stringify({ ...c.body, model: 'kokoro' }), headers: { 'content-type': 'application/json' }, timeoutMs: speech.cfg().ttsTimeoutSec * 1000, errorStyle: 'openai' }), c.signal);
    speech.note('speech', t0, 200);
    if (c.res.statusCode < 400) c.usage({ characters: c.body.input.length }, c.body.voice);
    return undefined;
  });
  audio.add({ method: 'GET', path: '/voices', errorStyle: 'openai', summary: 'Voices (both upstream shapes normalised to {voices: [...]})', response: voicesResponse }, async () => {
    const raw = await ctx.http.fetchJson(speech.up('kokoro'), '/v1/audio/voices', z.union([z.array(z.union([z.string(), z.object({ id: z.string() }), z.object({ name: z.string() })])), z.object({ voices: z.array(z.union([z.string(), z.object({ id: z.string() }), z.object({ name: z.string() })])) })]), { timeoutMs: 10_000 });
    const list = Array.isArray(raw) ? raw : raw.voices;
    return { voices: list.map((v) => (typeof v === 'string' ? v : 'id' in v ? v.id : v.name)).sort() };
  });

  ctx.routes.add({ method: 'GET', path: '/status', summary: 'Queue depth and recent requests (no audio or text)', response: statusResponse }, () => speech.status());
}
