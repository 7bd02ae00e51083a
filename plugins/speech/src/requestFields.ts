import { z } from 'zod';
import { SparkError, unknownFields } from '@spark-control/plugin-api';

/** Multipart text fields arrive as string lists; these schemas take the first value of each and say which field is
 *  wrong in the 400 instead of silently falling back to a default. */
const seconds = (min: number, max: number) => z.coerce.number().refine(Number.isFinite, 'must be a number').pipe(z.number().min(min).max(max));

/** The diarizer (Sortformer 4spk) separates at most 4 speakers. */
const maxSpeakers = z.coerce.number().refine(Number.isFinite, 'must be a number').pipe(z.number().int('must be a whole number').min(1, 'must be 1–4').max(4, 'must be 1–4 (the diarizer separates at most 4 speakers)')).optional();

const chunking = {
  mode: z.enum(['auto', 'single', 'chunked']).default('auto'),
  chunk_seconds: seconds(5, 3600).optional(),
  overlap_seconds: seconds(0, 600).optional(),
  max_speakers: maxSpeakers,
};

const channel = {
  channel_mode: z.enum(['mixed', 'dual']).default('mixed'),
  /** Which channel holds the local microphone: 0/left or 1/right (overrides the configured default). */
  local_channel: z.enum(['0', '1', 'left', 'right']).optional(),
};

export const diarizeFields = z.object({ ...chunking, response_format: z.enum(['json', 'rttm']).default('json') });

export const speakerFields = z.object({
  ...chunking,
  ...channel,
  include_words: z.enum(['true', 'false']).default('false'),
});

/** `/v1/audio/transcriptions` extensions (services.md §9 A); the OpenAI fields are checked in formats.ts. */
export const transcriptionFields = z.object({
  // OpenAI's own fields: accepted here, checked where they are used (checkFormat in formats.ts, the language rule).
  model: z.string().max(200).optional(),
  language: z.string().max(32).optional(),
  prompt: z.string().max(8000).optional(),
  response_format: z.string().max(32).optional(),
  temperature: z.string().max(32).optional(),
  'timestamp_granularities[]': z.string().max(32).optional(),
  timestamp_granularities: z.string().max(32).optional(),
  /** OpenAI's chunking_strategy: only "auto" (long files are chunked on silence-free overlaps either way). */
  chunking_strategy: z.enum(['auto']).optional(),
  ...channel,
  diarize: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  max_speakers: maxSpeakers,
});

/** Names other tools use for these fields (the Python tool's clients among them), for the "did you mean". */
const ALIASES: Record<string, string> = {
  dual_channel: 'channel_mode', stereo: 'channel_mode', multichannel: 'channel_mode', mic_channel: 'local_channel',
  diarization: 'diarize', speakers: 'max_speakers', num_speakers: 'max_speakers', speaker_count: 'max_speakers',
  words: 'include_words', chunk_length: 'chunk_seconds', overlap: 'overlap_seconds',
};

export function parseFields<T extends z.ZodType>(schema: T, fields: Record<string, string[]>): z.output<T> {
  const first = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v[0]]));
  const r = schema.safeParse(first);
  // A form field this route does not know is refused by name (it would change nothing, silently).
  const known = Object.keys((schema as unknown as z.ZodObject).shape ?? {});
  const unknown = unknownFields(schema, first).map((e) => ALIASES[e.field] && known.includes(ALIASES[e.field]!)
    ? { field: e.field, message: `unknown field; did you mean ${ALIASES[e.field]}?` } : e);
  if (!r.success || unknown.length) {
    const errors = [...unknown, ...(r.success ? [] : r.error.issues.map((i) => ({ field: String(i.path[0] ?? 'body'), message: i.message })))];
    throw new SparkError('SPEECH_BAD_FIELD', `invalid form field ${errors.map((e) => `"${e.field}"`).join(', ')}: ${errors[0].message}`, { status: 400, details: { errors } });
  }
  const out = r.data as { chunk_seconds?: number; overlap_seconds?: number };
  if (out.chunk_seconds !== undefined && out.overlap_seconds !== undefined && out.overlap_seconds * 2 >= out.chunk_seconds) {
    throw new SparkError('SPEECH_BAD_FIELD', 'overlap_seconds must be less than half of chunk_seconds', { status: 400, details: { errors: [{ field: 'overlap_seconds', message: 'must be less than half of chunk_seconds' }] } });
  }
  return r.data;
}

/** OpenAI's voice names, which Kokoro-FastAPI maps onto its own voices. */
const OPENAI_VOICES = 'alloy|ash|ballad|coral|echo|fable|onyx|nova|sage|shimmer|verse';
const ONE_VOICE = `(?:[a-z]{2}_[a-z0-9]+|${OPENAI_VOICES})(?:\\(\\d+(?:\\.\\d+)?\\))?`;
const VOICE_MIX = new RegExp(`^${ONE_VOICE}(?:[+-]${ONE_VOICE}){0,4}$`);

/** POST /v1/audio/speech (JSON). */
export const speechBody = z.object({
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
