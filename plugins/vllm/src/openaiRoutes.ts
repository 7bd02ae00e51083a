import { z } from 'zod';

/** What the OpenAI routes a client uses answer, for the API document (the catch-all `/v1/*rest` still proxies
 *  everything else vLLM serves). Bodies go to vLLM as sent: vLLM validates them. The schemas are documentation only
 *  (the proxy streams vLLM's answer through untouched). */
const usage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const modelList = z.object({
  object: z.literal('list'),
  // The served model's entry carries vLLM's own fields as vLLM lists them (open by design: they follow vLLM's version).
  data: z.array(z.object({
    id: z.string().describe('The servedName a request names'), object: z.literal('model'),
    created: z.number().int().describe('When the served model started (Unix seconds); 0 for a model not served'), owned_by: z.string(),
    root: z.string().optional(), max_model_len: z.number().int().optional(),
    state: z.enum(['serving', 'sleeping', 'loading', 'stopping', 'stopped']), catalog_id: z.string(),
    aliases: z.array(z.string()).describe('Other names a request may use for it'), queued: z.number().int().describe('Requests waiting for it to load'),
    load_on_request: z.boolean().describe('May a request from this client load it?'),
  }).loose()),
});
// vLLM's answer passes through untouched: it may carry more than these fields (system_fingerprint, logprobs,
// tool_calls, reasoning_content…, as its version has them), hence loose objects.
const chatCompletion = z.object({
  id: z.string(), object: z.literal('chat.completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), message: z.object({ role: z.literal('assistant'), content: z.string().nullable() }).loose(), finish_reason: z.string().nullable() }).loose()),
  usage: usage.loose().optional(),
}).loose();
const completion = z.object({
  id: z.string(), object: z.literal('text_completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() }).loose()),
  usage: usage.loose().optional(),
}).loose();

/** The response schemas of the OpenAI routes a client uses (documentation in the API document only). */
export const openAiSchemas = { modelList, chatCompletion, completion };
