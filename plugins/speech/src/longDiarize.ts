import { unlinkSync } from 'node:fs';
import { SparkError } from '@spark-control/plugin-api';
import type { Turn } from './merge.js';
import { capSpeakers } from './speakerCap.js';
import { DIARIZER_SPEAKER_CAP, planChunks, stitchChunks, type ChunkDiarization } from './stitch.js';
import type { DiarAnswer } from './upstreamSchemas.js';
import { readWavInfo } from './wavFile.js';
import { sliceWav } from './wavSlice.js';

export interface DiarizeOptions {
  mode: 'auto' | 'single' | 'chunked'; chunkSec: number; overlapSec: number; clusterThreshold: number;
  /** Caller's speaker limit (1–4): sent to the diarizer and enforced on its answer (speakerCap.ts). */
  maxSpeakers?: number;
}

export interface DiarizeDeps {
  /** One serialised, time-limited call to the diarizer with a file from disk. */
  call(endpoint: '/v1/audio/diarize' | '/v1/audio/diarize-chunk', path: string, filename: string, fields?: Record<string, string>): Promise<DiarAnswer>;
  tmpPath(tag: string): string;
}

export interface Diarization {
  duration: number;
  mode: 'single' | 'chunked';
  chunks: number;
  turns: Turn[];
  speakers: string[];
  model: string;
  warnings: string[];
  /** Each speaker's voice fingerprint as the diarizer gave it (stitched across chunks), for clients that cluster or
   *  recognise voices themselves (the old tool's contract); empty when the diarizer sent none. */
  fingerprints: Record<string, number[]>;
}

const capMessage = 'The diarizer separates at most 4 speakers; if more people spoke, some were merged.';

/** Whole-file diarization when the audio fits the diarizer (or cannot be sliced), chunked + stitched when it is
 *  longer than `chunkSec`: the Sortformer model runs out of GPU memory on long files and was trained on 90 s. */
export async function diarizeFile(path: string, filename: string, o: DiarizeOptions, deps: DiarizeDeps): Promise<Diarization> {
  const d = await diarizeUncapped(path, filename, o, deps);
  if (o.maxSpeakers === undefined || d.speakers.length <= o.maxSpeakers) return d;
  const c = capSpeakers(d.turns, o.maxSpeakers, d.fingerprints);
  const how = c.merged.map((m) => `${m.from} into ${m.into}${m.by === 'voice' ? ' (closest voice)' : ' (nearest in time)'}`).join(', ');
  // A merged speaker's voice is the one it was merged into: only the speakers left keep a fingerprint.
  const fingerprints = Object.fromEntries(Object.entries(d.fingerprints).filter(([s]) => c.speakers.includes(s)));
  return { ...d, turns: c.turns, speakers: c.speakers, fingerprints, warnings: [...d.warnings, `max_speakers=${o.maxSpeakers}: the diarizer heard ${d.speakers.length} voices; the least heard were merged: ${how}.`] };
}

async function diarizeUncapped(path: string, filename: string, o: DiarizeOptions, deps: DiarizeDeps): Promise<Diarization> {
  const fields: Record<string, string> = o.maxSpeakers === undefined ? {} : { max_speakers: String(o.maxSpeakers) };
  const wav = await readWavInfo(path);
  if (o.mode === 'chunked' && !wav.ok) {
    throw new SparkError('SPEECH_CANNOT_CHUNK', `chunked diarization needs a 16-bit PCM WAV file; this file ${wav.reason}`, { status: 400, details: { errors: [{ field: 'file', message: `${wav.reason} (mode=chunked)` }] } });
  }
  const chunked = wav.ok && (o.mode === 'chunked' || (o.mode === 'auto' && wav.info.duration > o.chunkSec));
  if (!chunked || !wav.ok) {
    const d = await deps.call('/v1/audio/diarize', path, filename, fields);
    const turns = d.segments.map((s) => ({ start: s.start_s, end: s.end_s, speaker: s.speaker }));
    return {
      duration: d.duration, mode: 'single', chunks: 1, turns, speakers: [...new Set(turns.map((t) => t.speaker))],
      model: d.models?.diarization ?? 'nvidia/diar_sortformer_4spk-v1',
      warnings: (d.speakers_detected ?? 0) >= DIARIZER_SPEAKER_CAP ? [capMessage] : [],
      fingerprints: Object.fromEntries(Object.entries(d.fingerprints ?? {}).filter(([label]) => turns.some((t) => t.speaker === label))),
    };
  }
  const plan = planChunks(wav.info.duration, o.chunkSec, Math.min(o.overlapSec, o.chunkSec / 3));
  const results: ChunkDiarization[] = [];
  let model = 'nvidia/diar_sortformer_4spk-v1';
  for (const [i, c] of plan.entries()) {
    const part = deps.tmpPath(`chunk${i}`);
    try {
      await sliceWav(path, wav.info, c.start, c.end, part);
      const d = await deps.call('/v1/audio/diarize-chunk', part, `chunk${i}.wav`, fields);
      model = d.models?.diarization ?? model;
      results.push({ offset: c.start, duration: c.end - c.start, segments: d.segments.map((s) => ({ start: s.start_s, end: s.end_s, speaker: s.speaker })), fingerprints: d.fingerprints, speakersDetected: d.speakers_detected });
    } finally {
      try { unlinkSync(part); } catch { /* already gone */ }
    }
  }
  const s = stitchChunks(results, { threshold: o.clusterThreshold });
  const warnings = s.capChunks.length
    ? [`The diarizer separates at most 4 speakers per chunk; chunk${s.capChunks.length > 1 ? 's' : ''} ${s.capChunks.map((k) => k + 1).join(', ')} of ${plan.length} reached that cap, so some speakers there may have been merged.`]
    : [];
  return { duration: wav.info.duration, mode: 'chunked', chunks: plan.length, turns: s.turns, speakers: s.speakers, model, warnings, fingerprints: s.fingerprints };
}
