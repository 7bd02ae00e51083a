import { z } from 'zod';

// The JSON 200 answers of the speech routes, for the API document only (routes.ts, transcriptionRoute.ts and formats.ts build these
// shapes). POST /v1/audio/speech answers audio bytes, and text, srt, vtt and rttm formats answer text: not described
// here. tests/kernel/response-schemas*.test.ts parse the live answers with them.

const usage = z.object({ type: z.literal('duration'), seconds: z.number().int().describe('Audio duration, rounded up') });
const word = z.object({
  word: z.string(), start: z.number().describe('Seconds'), end: z.number(),
  speaker: z.string().nullable().optional().describe('With diarization: the speaker label, null when no turn covers the word'),
  channel: z.enum(['local', 'remote']).optional().describe('channel_mode=dual only'),
});

const plainTranscript = z.object({ text: z.string(), usage }).describe('response_format=json (the default)');
const verboseTranscript = z.object({
  task: z.literal('transcribe'), language: z.string(), duration: z.number(), text: z.string(),
  words: z.array(word).optional().describe('With timestamp_granularities[]=word'),
  segments: z.array(z.object({
    id: z.number().int(), seek: z.number(), start: z.number(), end: z.number(), text: z.string(), tokens: z.array(z.number()),
    temperature: z.number(), avg_logprob: z.number(), compression_ratio: z.number(), no_speech_prob: z.number(), speaker: z.string().optional(),
  })).optional(),
  usage,
}).describe('response_format=verbose_json');
const diarizedTranscript = z.object({
  task: z.literal('transcribe'), duration: z.number(), text: z.string(),
  segments: z.array(z.object({
    type: z.literal('transcript.text.segment'), id: z.string(), start: z.number(), end: z.number(), text: z.string(),
    speaker: z.string().describe('A, B, … by first appearance; the local channel keeps its configured name'),
  })),
  usage,
}).describe('response_format=diarized_json');
export const transcriptionResponse = z.union([diarizedTranscript, verboseTranscript, plainTranscript]);

const fingerprints = z.record(z.string(), z.array(z.number())).describe('Each speaker\'s voice fingerprint, as the diarizer gave it (empty when it sent none)');
const warnings = z.array(z.string());

export const diarizeResponse = z.object({
  duration: z.number(), model: z.string(), mode: z.enum(['single', 'chunked']).describe('chunked: long audio in overlapping chunks stitched by voice fingerprint'),
  chunks: z.number().int(), speakers: z.array(z.string()), speakers_detected: z.number().int(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), start_s: z.number(), end_s: z.number(), speaker: z.string() }))
    .describe('start_s/end_s repeat start/end under the previous tool\'s names'),
  warnings, models: z.object({ diarization: z.string() }), fingerprints,
}).describe('response_format=json (rttm answers text)');

export const diarizeChunkResponse = z.object({
  duration: z.number(), segments: z.array(z.object({ start_s: z.number(), end_s: z.number(), speaker: z.string().describe('Local to this chunk') })),
  speakers_detected: z.number().int(), fingerprints, models: z.record(z.string(), z.string()), warnings,
});

export const transcribeWithSpeakersResponse = z.object({
  duration: z.number(), language: z.string(), speakers_detected: z.number().int(),
  segments: z.array(z.object({
    start_ms: z.number(), end_ms: z.number(), speaker: z.string().describe('unknown when no diarized turn covers the words'),
    channel: z.enum(['local', 'remote']).nullable(), text: z.string(),
    words: z.array(z.object({
      word: z.string(), start: z.number(), end: z.number(), start_ms: z.number().int(), end_ms: z.number().int(), speaker: z.string().nullable(),
      channel: z.enum(['local', 'remote']).optional(),
    })).optional().describe('With include_words=true'),
  })),
  models: z.object({ transcription: z.string(), diarization: z.string() }),
  unassigned_words: z.number().int(), suppressed_bleed_words: z.number().int(),
  merge: z.object({ algorithm: z.string(), smoothing: z.string(), smoothed_words: z.number().int(), gap_split_ms: z.number().int(), channel_mode: z.enum(['dual', 'mixed']) }),
  diarization: z.object({ mode: z.enum(['single', 'chunked']), chunks: z.number().int() }),
  transcription: z.object({ chunks: z.number().int().optional() }),
  dual_channel: z.object({
    local_channel: z.enum(['left', 'right']), local_label: z.string(),
    local_words: z.number().int(), remote_words: z.number().int(), bleed_suppressed: z.number().int(), bleed_suppressed_local: z.number().int(), bleed_suppressed_remote: z.number().int(),
    thresholds: z.object({ min_overlap_pct: z.number(), louder_db: z.number() }),
  }).optional().describe('channel_mode=dual only'),
  warnings,
});

export const voicesResponse = z.object({ voices: z.array(z.string()).describe('Sorted voice ids') });

export const statusResponse = z.object({
  queues: z.object({
    parakeet: z.object({ inFlight: z.number().int(), waiting: z.number().int() }),
    kokoro: z.object({ inFlight: z.number().int(), waiting: z.number().int() }),
  }),
  recent: z.array(z.object({ at: z.string(), route: z.string(), ms: z.number(), status: z.number().int() })).describe('The last 20 requests, newest first'),
});
