import { z } from 'zod';
import { containerNameField } from '@spark-control/plugin-api';

export const speechConfigSchema = z.object({
  /** Requests in flight per audio upstream (the GPU service crashes on overlap: keep 1). */
  maxInFlight: z.number().int().min(1).max(8).default(1),
  /** Requests allowed to wait; more get 503 + Retry-After. */
  maxQueue: z.number().int().min(0).max(100).default(8),
  maxUploadMB: z.number().int().min(1).max(2000).default(200),
  parakeetContainer: containerNameField('parakeet', 'Docker container of the transcription service (parakeet) on its Spark, whose log the tile shows.'),
  kokoroContainer: containerNameField('kokoro', 'Docker container of the voice service (Kokoro) on its Spark, whose log the tile shows.'),
  asrTimeoutSec: z.number().int().min(5).max(3600).default(300),
  diarizeTimeoutSec: z.number().int().min(5).max(7200).default(600),
  ttsTimeoutSec: z.number().int().min(5).max(600).default(120),
  /** After a client cancels, keep the upstream slot this long: the GPU service finishes the abandoned work first. */
  cancelCooldownMs: z.number().int().min(0).max(60_000).default(1500),
  /** A new block starts on a speaker change or a pause longer than this. */
  blockGapSec: z.number().min(0.1).max(30).default(1.5),
  /** Stereo calls (`channel_mode=dual`): one channel is the local microphone, the other the far end. */
  dualChannel: z.object({
    localChannel: z.enum(['left', 'right']).default('left'),
    /** Speaker name for every word of the local channel. */
    localLabel: z.string().trim().min(1).max(40).regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, spaces, _ . -').default('local'),
    /** A word counts as a bleed copy only if its twin on the other channel covers at least this share of it… */
    bleedMinOverlapPct: z.number().min(1).max(100).default(50),
    /** …and the other channel is at least this much louder over the word. */
    bleedLouderDb: z.number().min(0.5).max(60).default(6),
  }).prefault({}),
  /** Audio longer than `chunkSec` is diarized in overlapping chunks whose speakers are linked by voice fingerprint. */
  longAudio: z.object({
    chunkSec: z.number().min(5).max(3600).default(300),
    overlapSec: z.number().min(0).max(600).default(15),
    /** Cosine similarity at which two chunk speakers are taken to be one person (the predecessor used 0.7). */
    clusterThreshold: z.number().min(0).max(1).default(0.7),
    /** Transcription is chunked (same overlap) past this length; parakeet handles about 24 min in one pass, its ONNX
     *  exports about 400 s, and the predecessor chunked everything over 10 min. */
    asrChunkSec: z.number().min(5).max(3600).default(600),
  }).prefault({}).refine((v) => v.overlapSec * 2 < Math.min(v.chunkSec, v.asrChunkSec), { message: 'overlapSec must be less than half of chunkSec and of asrChunkSec', path: ['overlapSec'] }),
});
export type SpeechConfig = z.output<typeof speechConfigSchema>;
