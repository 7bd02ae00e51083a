import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { guardFakeHandler, type FakeHandler } from '@spark-control/plugin-api';

/** What the fake vLLM accepts on /v1/chat/completions and /v1/completions, checked the way vLLM's pydantic request
 *  models check it (vllm/entrypoints/openai/protocol.py): a malformed body is a 400 in vLLM's error envelope, never a
 *  throw inside the fake. Unknown fields pass (vLLM only logs them). Content arrives normalised to plain strings, so
 *  nothing downstream calls a client-supplied toString/valueOf. */

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
});
const common = {
  model: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  n: z.int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
};
const chatRequest = z.looseObject({ ...common, messages: z.array(message) });
const completionRequest = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.int()), z.array(z.array(z.int()))]).nullish(),
});

export interface FakeVllmRequest { model?: string; stream?: boolean; includeUsage?: boolean; max_tokens?: number; messages?: Array<{ content: string }>; prompt?: string }
export interface VllmError { error: { message: string; type: string; param: string | null; code: number } }

/** vLLM's error envelope (ErrorResponse{error: ErrorInfo}, `code` is the HTTP status). */
export const vllmError = (message: string, type = 'BadRequestError', code = 400, param: string | null = null): VllmError => ({ error: { message, type, param, code } });

/** Pydantic's words for the common zod issues, so a client sees what vLLM would say. */
function pydanticIssue(i: z.core.$ZodIssue): { type: string; msg: string } {
  if (i.code === 'invalid_type') {
    if (i.input === undefined) return { type: 'missing', msg: 'Field required' };
    const t: Record<string, [string, string]> = {
      array: ['list_type', 'Input should be a valid list'], string: ['string_type', 'Input should be a valid string'],
      number: ['float_type', 'Input should be a valid number'], int: ['int_type', 'Input should be a valid integer'],
      boolean: ['bool_type', 'Input should be a valid boolean'], object: ['model_type', 'Input should be a valid dictionary or object to extract fields from'],
    };
    const [type, msg] = t[i.expected] ?? [`${i.expected}_type`, `Input should be a valid ${i.expected}`];
    return { type, msg };
  }
  if (i.code === 'too_small') return { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${String(i.minimum)}` };
  if (i.code === 'invalid_union') return { type: 'union_type', msg: 'Input did not match any of the allowed types' };
  return { type: i.code, msg: i.message };
}

function validationMessage(issues: z.core.$ZodIssue[]): string {
  return '[' + issues.slice(0, 5).map((i) => {
    const loc = ['body', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))].map((p) => (typeof p === 'number' ? String(p) : `'${p}'`)).join(', ');
    const { type, msg } = pydanticIssue(i);
    return `{'type': '${type}', 'loc': (${loc}${i.path.length ? '' : ','}), 'msg': '${msg}'}`;
  }).join(', ') + ']';
}

const partsText = (c: string | Array<{ text?: string }> | null | undefined): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ') : '';

/** Parses and checks a chat (`chat: true`) or completions body: the normalised request, or the 400 to answer. */
export function parseVllmRequest(raw: string, chat: boolean): { ok: true; body: FakeVllmRequest } | { ok: false; status: number; error: VllmError } {
  let json: unknown;
  try { json = JSON.parse(raw); } catch {
    return { ok: false, status: 400, error: vllmError(`[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error'}]`) };
  }
  const r = (chat ? chatRequest : completionRequest).safeParse(json, { reportInput: true });
  if (!r.success) return { ok: false, status: 400, error: vllmError(validationMessage(r.error.issues)) };
  const b = r.data as z.infer<typeof chatRequest> & z.infer<typeof completionRequest>;
  const prompt = b.prompt;
  return {
    ok: true,
    body: {
      model: b.model ?? undefined, stream: b.stream ?? undefined, includeUsage: b.stream_options?.include_usage ?? undefined, max_tokens: b.max_tokens ?? b.max_completion_tokens ?? undefined,
      ...(chat ? { messages: b.messages.map((m) => ({ content: partsText(m.content) })) } : { prompt: Array.isArray(prompt) ? prompt.flat().join(' ') : (prompt ?? '') }),
    },
  };
}

/** The fake vLLM's handler, guarded: an internal error answers 500 in vLLM's envelope, as uvicorn does. */
export function guardedVllmHandler(handler: FakeHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return guardFakeHandler('vllm', (res) => { res.writeHead(500, { 'content-type': 'application/json' }); res.end(JSON.stringify(vllmError('Internal Server Error', 'InternalServerError', 500))); }, handler);
}
