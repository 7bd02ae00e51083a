import { z } from 'zod';
import type { PluginRouter, RouteContext } from '@spark-control/plugin-api';

/** The OpenAI routes a client uses, each named in the API document with what it answers (the catch-all `/v1/*rest`
 *  behind them still proxies everything else vLLM serves). Bodies go to vLLM as sent: vLLM validates them. The
 *  response schemas are documentation only (the proxy streams vLLM's answer through untouched). */
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

export function addOpenAiRoutes(v1: PluginRouter, proxy: (c: RouteContext) => unknown): void {
  const raw = { errorStyle: 'openai', bodyMode: 'raw', maxBodyBytes: 32 * 1024 * 1024 } as const;
  v1.add({ method: 'GET', path: '/models', summary: 'The served model (OpenAI list), with the context it was launched with (max_model_len)', errorStyle: 'openai', response: modelList }, proxy);
  v1.add({ method: 'POST', path: '/chat/completions', summary: 'Chat completion from the served model (OpenAI body; "stream": true answers server-sent events); 503 during a swap', ...raw, response: chatCompletion }, proxy);
  v1.add({ method: 'POST', path: '/completions', summary: 'Text completion from the served model (OpenAI body; "stream": true answers server-sent events); 503 during a swap', ...raw, response: completion }, proxy);
}
