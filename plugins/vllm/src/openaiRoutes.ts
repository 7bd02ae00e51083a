import { z } from 'zod';

/** What the OpenAI routes a client uses answer, for the API document (the catch-all `/v1/*rest` still proxies
 *  everything else vLLM serves). Bodies go to vLLM as sent: vLLM validates them. The schemas are documentation only
 *  (the proxy streams vLLM's answer through untouched). */
const usage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const modelList = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string(), root: z.string().optional(), max_model_len: z.number().int().optional() })),
});
const chatCompletion = z.object({
  id: z.string(), object: z.literal('chat.completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), message: z.object({ role: z.literal('assistant'), content: z.string().nullable() }), finish_reason: z.string().nullable() })),
  usage: usage.optional(),
});
const completion = z.object({
  id: z.string(), object: z.literal('text_completion'), created: z.number().int(), model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() })),
  usage: usage.optional(),
});

/** The response schemas of the OpenAI routes a client uses (documentation in the API document only). */
export const openAiSchemas = { modelList, chatCompletion, completion };
