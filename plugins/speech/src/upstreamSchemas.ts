import { z } from 'zod';
import { SparkError, type HttpResponse } from '@spark-control/plugin-api';

/** What parakeet's ASR and diarizer answer, and how an answer is read: bounded, its error statuses mapped, parsed. */
export const asrAnswer = z.object({ text: z.string().optional(), language: z.string().optional(), duration: z.number(), words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).default([]) });
export const diarAnswer = z.object({ duration: z.number(), speakers_detected: z.number().optional(), segments: z.array(z.object({ start_s: z.number(), end_s: z.number(), speaker: z.string() })), fingerprints: z.record(z.string(), z.array(z.number())).optional(), models: z.record(z.string(), z.string()).optional() });
export type AsrAnswer = z.output<typeof asrAnswer>;
export type DiarAnswer = z.output<typeof diarAnswer>;

/** An upstream answer as JSON of `schema`: too much data, busy (503), refused and garbage each a coded error. */
export async function readJson<T extends z.ZodType>(res: HttpResponse, schema: T, what: string): Promise<z.output<T>> {
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
