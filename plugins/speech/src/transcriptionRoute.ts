import { join } from 'node:path';
import type { PluginRouter, SparkError } from '@spark-control/plugin-api';
import { ASR_MODEL, type SpeechCoordinator } from './coordinator.js';
import { compressedFormat, toPcm16Wav } from './decodeCompressed.js';
import { checkFormat, render, segmentsOf, type OutWord, type Transcript } from './formats.js';
import type { LiveTranscription } from './liveTranscribe.js';
import { diarizeFile } from './longDiarize.js';
import { assignSpeakers, joinWords, normaliseWords, toBlocks } from './merge.js';
import { parseFields, transcriptionFields } from './requestFields.js';
import { transcriptionResponse } from './responses.js';
import { smoothOverlaps } from './smoothing.js';
import { asrAnswer, readJson, type AsrAnswer } from './upstreamSchemas.js';
import { streamUpload } from './upload.js';
import { checkWavHead, wavHeadFormat, wavHeadSeconds } from './wavFile.js';

/** OpenAI fields (response_format, timestamp_granularities) and the §9 A extensions, each 400 naming its field. */
const transcriptionOptions = (fields: Record<string, string[]>) => ({ ...checkFormat(fields), f: parseFields(transcriptionFields, fields) });

/** POST /v1/audio/transcriptions: OpenAI's multipart contract, streamed to parakeet when it can be, spooled and
 *  transcribed from disk when the audio is a stereo call, long, or needs a diarization pass. */
export function registerTranscriptionRoute(speech: SpeechCoordinator, router: PluginRouter): void {
  router.add({ method: 'POST', path: '/transcriptions', bodyMode: 'raw', errorStyle: 'openai', sensitive: true, summary: 'Transcribe (OpenAI multipart contract; diarize, channel_mode, local_channel, max_speakers extensions)', response: transcriptionResponse }, async (c) => {
    const t0 = performance.now();
    // The audio streams straight to parakeet; a copy is kept (in memory while small, else on disk) until the fields
    // (which may arrive after the file) say whether a second pass is needed: diarization (diarized_json, or diarize
    // with verbose_json).
    const copy = join(speech.spool, `tee-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    let live: LiveTranscription | undefined;
    const u = streamUpload(c, speech.maxBytes(), (f) => ({ model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'], ...(f.language?.[0] && /^[a-z]{2}$/.test(f.language[0]) ? { language: f.language[0] } : {}) }), copy);
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
      const packedLong = !wav && compressedFormat(head.bytes) !== undefined && (!size || size > speech.cfg().longAudio.asrChunkSec * 2000);
      const long = (seconds !== undefined && seconds > speech.cfg().longAudio.asrChunkSec) || packedLong;
      const spooled = early === 'dual' || (early !== 'mixed' && wav?.channels === 2) || long;
      let fields: Record<string, string[]> = {};
      let options: ReturnType<typeof transcriptionOptions> | undefined;
      let streamed: AsrAnswer | undefined;
      if (spooled) {
        // A long 16-bit WAV that goes to parakeet as one mix (mono, or stereo with channel_mode=mixed before it) is
        // sent chunk by chunk while the rest still arrives: each chunk as soon as its bytes are on disk. A bad field
        // after the file stops it (the finally below), a late channel_mode=dual too.
        if (long && wav && wav.bitsPerSample === 16 && early !== 'dual' && (wav.channels === 1 || early === 'mixed')) live = speech.liveTranscription({ path: copy, head: head.bytes, untilOnDisk: u.untilOnDisk }, c.signal);
        u.dropBody();
        fields = await u.fields;
        options = transcriptionOptions(fields);
      } else {
        // Bad fields end the upstream request at once; the slot is held for the cooldown while the GPU lets go.
        const local = new AbortController();
        const signal = AbortSignal.any([c.signal, local.signal]);
        streamed = await speech.parakeet.run(async () => {
          const resP = speech.post('/v1/audio/transcriptions', u, speech.cfg().asrTimeoutSec, signal);
          resP.catch(() => {}); // settled below; a bad upload rejects `u.fields` first
          fields = await u.fields;
          try { options = transcriptionOptions(fields); } catch (e) { local.abort(); throw e; }
          return readJson(await resP, asrAnswer, 'parakeet');
        }, signal);
      }
      const { format, gran, f } = options ?? transcriptionOptions(fields);
      await u.copied;
      if (f.channel_mode === 'dual') await live?.stop();
      const dOpts = speech.diarizeOptions({ mode: 'auto', max_speakers: f.max_speakers });
      const dual = f.channel_mode === 'dual';
      // Speakers only where the answer can carry them; json/text/srt/vtt ignore diarize (no second pass).
      const withSpeakers = format === 'diarized_json' || (f.diarize && format === 'verbose_json');
      // Where the disk copy gets split or sliced, it is in one format (16-bit PCM WAV) first.
      if (dual || !streamed || withSpeakers) { await u.saveCopy(); await toPcm16Wav(copy); }
      let words: OutWord[];
      let duration: number, language: string | undefined, fallbackText = '';
      if (dual) {
        const { r } = await speech.dualChannel(copy, f, dOpts, c.signal, { diarize: withSpeakers });
        ({ words } = r); duration = r.asr.duration; language = r.asr.language;
        if (withSpeakers) c.usage({ audio_seconds: r.diarization.duration }, r.diarization.model);
      } else {
        const asr = streamed ?? await live?.answer() ?? await speech.pipelines(c.signal, dOpts).transcribe(copy, 'audio.wav');
        words = normaliseWords(asr.words); duration = asr.duration; language = asr.language; fallbackText = asr.text ?? '';
        if (withSpeakers) {
          const d = await diarizeFile(copy, 'audio.wav', dOpts, { call: speech.callDiarizer(c.signal), tmpPath: speech.tmpPath });
          words = smoothOverlaps(assignSpeakers(words, d.turns).words, d.turns).words;
          c.usage({ audio_seconds: duration }, d.model);
        }
      }
      c.usage({ audio_seconds: duration }, ASR_MODEL);
      const text = joinWords(words) || fallbackText;
      const usage = { type: 'duration', seconds: Math.ceil(duration) };
      speech.note('transcriptions', t0, 200);
      if (format === 'diarized_json') {
        // OpenAI names diarized speakers A, B, … by first appearance; the local channel keeps its configured name.
        const blocks = toBlocks(words.map((w) => ({ ...w, speaker: w.speaker ?? null })), { blockGapS: speech.cfg().blockGapSec });
        const localLabel = speech.cfg().dualChannel.localLabel;
        const letters = new Map<string, string>();
        for (const b of blocks) if (b.speaker !== 'unknown' && !(dual && b.speaker === localLabel) && !letters.has(b.speaker)) letters.set(b.speaker, String.fromCharCode(65 + letters.size));
        return { task: 'transcribe', duration, text, segments: blocks.map((b, id) => ({ type: 'transcript.text.segment', id: `seg_${id}`, start: b.start_ms / 1000, end: b.end_ms / 1000, text: b.text, speaker: letters.get(b.speaker) ?? b.speaker })), usage };
      }
      const out: OutWord[] = words.map((w) => ({ word: w.word, start: w.start, end: w.end, ...(withSpeakers ? { speaker: w.speaker ?? null } : {}), ...(dual ? { channel: w.channel } : {}) }));
      const t: Transcript = { text, language, duration, words: out, segments: segmentsOf(out, withSpeakers) };
      return render(c, t, format, gran);
    } catch (e) {
      u.cancel();
      speech.note('transcriptions', t0, (e as SparkError).status ?? 500);
      throw e;
    } finally {
      // Nothing sent early may still read the copy (or hold parakeet) once the answer is out.
      await live?.stop();
      await u.copied;
      u.dropCopy();
    }
  });
}
