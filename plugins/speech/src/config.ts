import { z } from 'zod';

export const speechConfigSchema = z.object({
  /** Requests in flight per audio upstream (the GPU service crashes on overlap: keep 1). */
  maxInFlight: z.number().int().min(1).max(8).default(1),
  /** Requests allowed to wait; more get 503 + Retry-After. */
  maxQueue: z.number().int().min(0).max(100).default(8),
  maxUploadMB: z.number().int().min(1).max(2000).default(200),
  asrTimeoutSec: z.number().int().min(5).max(3600).default(300),
  diarizeTimeoutSec: z.number().int().min(5).max(7200).default(600),
  ttsTimeoutSec: z.number().int().min(5).max(600).default(120),
  /** After a client cancels, keep the upstream slot this long: the GPU service finishes the abandoned work first. */
  cancelCooldownMs: z.number().int().min(0).max(60_000).default(1500),
  /** A new block starts on a speaker change or a pause longer than this. */
  blockGapSec: z.number().min(0.1).max(30).default(1.5),
});
export type SpeechConfig = z.output<typeof speechConfigSchema>;
