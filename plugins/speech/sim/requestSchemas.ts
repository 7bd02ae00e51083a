import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { guardFakeHandler, type FakeHandler } from '@spark-control/plugin-api';

/** Request checks of the fake parakeet and Kokoro services, as their FastAPI apps make them: a body that does not fit
 *  the endpoint's model is a 422 `{"detail":[{type, loc, msg, input}]}` (FastAPI's RequestValidationError handler),
 *  never a throw inside the fake. */

export interface FastApiIssue { type: string; loc: Array<string | number>; msg: string; input: unknown }
export interface FastApiValidationError { detail: FastApiIssue[] }

/** An echo of the client's value that is safe to serialise: plain JSON values as they came (short), the rest omitted. */
const echo = (v: unknown): unknown => (typeof v === 'string' ? v.slice(0, 200) : typeof v === 'number' || typeof v === 'boolean' || v === null ? v : undefined);

function fastApiIssues(issues: z.core.$ZodIssue[], root: unknown): FastApiIssue[] {
  return issues.slice(0, 10).map((i) => {
    const input = i.path.reduce<unknown>((o, k) => (o && typeof o === 'object' && Object.hasOwn(o, k) ? (o as Record<PropertyKey, unknown>)[k] : undefined), root);
    const loc = ['body', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (i.code === 'invalid_type' && input === undefined) return { type: 'missing', loc, msg: 'Field required', input: null };
    if (i.code === 'invalid_type') return { type: `${i.expected === 'number' ? 'float' : i.expected}_type`, loc, msg: `Input should be a valid ${i.expected === 'object' ? 'dictionary' : i.expected}`, input: echo(input) ?? null };
    if (i.code === 'too_small') return { type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${String(i.minimum)}`, input: echo(input) ?? null };
    if (i.code === 'too_big') return { type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${String(i.maximum)}`, input: echo(input) ?? null };
    if (i.code === 'invalid_value') return { type: 'literal_error', loc, msg: `Input should be ${i.values.map((v) => `'${String(v)}'`).join(', ')}`, input: echo(input) ?? null };
    return { type: i.code, loc, msg: i.message, input: echo(input) ?? null };
  });
}

/** Kokoro-FastAPI's OpenAISpeechRequest (api/src/structures/schemas.py): the fields the fake uses, extra ones pass. */
const speechRequest = z.looseObject({
  model: z.string().optional(),
  input: z.string(),
  voice: z.string().optional(),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  stream: z.boolean().optional(),
});
export type SpeechRequest = z.infer<typeof speechRequest>;

/** Parses a Kokoro `/v1/audio/speech` body: the request, or FastAPI's 422. */
export function parseSpeechRequest(raw: string): { ok: true; body: SpeechRequest } | { ok: false; status: 422; error: FastApiValidationError } {
  let json: unknown;
  try { json = JSON.parse(raw); } catch {
    return { ok: false, status: 422, error: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] } };
  }
  const r = speechRequest.safeParse(json);
  if (!r.success) return { ok: false, status: 422, error: { detail: fastApiIssues(r.error.issues, json) } };
  return { ok: true, body: r.data };
}

/** The parakeet server's form (`file: UploadFile = File(...)`, optional integer `max_speakers`): the 422 to answer,
 *  or undefined when the form fits. */
export function parakeetFormErrors(form: { fields: Record<string, string[]>; file?: Buffer }): FastApiValidationError | undefined {
  const detail: FastApiIssue[] = [];
  if (!form.file) detail.push({ type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null });
  const max = form.fields.max_speakers?.[0];
  if (max !== undefined && !/^\s*[+-]?\d+\s*$/.test(max)) detail.push({ type: 'int_parsing', loc: ['body', 'max_speakers'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: max.slice(0, 200) });
  return detail.length ? { detail } : undefined;
}

/** A fake speech service's handler, guarded: an internal error answers 500 `Internal Server Error` as uvicorn does. */
export function guardedFastApiHandler(name: string, handler: FakeHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return guardFakeHandler(name, (res) => { res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }); res.end('Internal Server Error'); }, handler);
}
