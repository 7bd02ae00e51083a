import { z } from 'zod';
import { SparkError, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import { chatPoint } from './chatPoint.js';
import { redactionCodes } from './codes.js';
import { detectTier1, type Span } from './detect.js';
import { detectStructured } from './layers/structured.js';
import type { RedactionConfig } from './config.js';

const answer = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1) });
const entities = z.array(z.object({ text: z.string().min(2).max(200), type: z.enum(['PERSON', 'ORG', 'FUND', 'LOCATION']) }));

/** Optional third tier: ask the local LLM (vLLM's chat point, never a cloud model) for names the rules miss. A swap
 *  that is running is waited for up to `waitForSwapMs`; the calls count as in flight, so a swap starting meanwhile lets
 *  them finish. Throws when the model cannot be reached or answers nonsense — the caller decides to fail closed. */
export async function llmNer(ctx: PluginContext<RedactionConfig>, texts: Array<{ id: string; text: string }>, o: { waitForSwapMs: number }): Promise<Map<string, Span[]>> {
  const chat = ctx.use(chatPoint);
  if (!chat) throw new SparkError(redactionCodes.NER_UNAVAILABLE, 'the vLLM plugin is not running', { status: 503 });
  if (chat.swapping() && !(await chat.waitForSwap({ timeoutMs: o.waitForSwapMs }))) {
    throw new SparkError(redactionCodes.NER_UNAVAILABLE, 'a model swap is running', { status: 503 });
  }
  const release = chat.begin();
  try {
    return await askForEntities(ctx, chat.upstream(), texts);
  } finally {
    release();
  }
}

/** The request the LLM layer sends for one text (exported for the eval, which measures this very prompt). */
export function nerRequest(model: string, text: string): Record<string, unknown> {
  return {
    model, temperature: 0, max_tokens: 800,
    messages: [
      { role: 'system', content: 'List every person, organisation, investment fund and place named in the user text. Answer with JSON only: [{"text": "...", "type": "PERSON|ORG|FUND|LOCATION"}]. Copy each name exactly as written.' },
      { role: 'user', content: text },
    ],
  };
}

/** The text with every tier-1 value (cards, IBANs, secrets, national ids…) overwritten by `*` of the same length: those
 *  never leave, not even to the local model, and positions stay those of the original text. */
export function maskTier1(text: string): string {
  const spans = [...detectTier1(text), ...detectStructured(text).filter((s) => s.tier === 1)];
  if (!spans.length) return text;
  const chars = text.split('');
  for (const s of spans) for (let i = s.start; i < s.end; i++) chars[i] = '*';
  return chars.join('');
}

/** The model's answer as spans of `text` (every occurrence of each name it listed). Throws on anything but the list. */
export function spansFromAnswer(text: string, content: string): Span[] {
  const raw = content.trim().replace(/^```(?:json)?|```$/g, '');
  let json: unknown;
  try { json = JSON.parse(raw); } catch { throw new Error('the NER model did not answer with an entity list'); }
  const parsed = entities.safeParse(json);
  if (!parsed.success) throw new Error('the NER model did not answer with an entity list');
  const spans: Span[] = [];
  for (const e of parsed.data) {
    for (let i = text.indexOf(e.text); i >= 0; i = text.indexOf(e.text, i + 1)) spans.push({ start: i, end: i + e.text.length, kind: e.type, tier: 2, key: e.text });
  }
  return spans;
}

async function askForEntities(ctx: PluginContext<RedactionConfig>, up: UpstreamRef, texts: Array<{ id: string; text: string }>): Promise<Map<string, Span[]>> {
  let model = ctx.config.get().nerModel;
  if (!model) {
    const list = await ctx.http.fetchJson(up, '/v1/models', z.object({ data: z.array(z.object({ id: z.string() })).min(1) }), { timeoutMs: 5000 });
    model = list.data[0].id;
  }
  const out = new Map<string, Span[]>();
  for (const t of texts) {
    const masked = maskTier1(t.text);
    const res = await ctx.http.fetchJson(up, '/v1/chat/completions', answer, { method: 'POST', timeoutMs: ctx.config.get().nerTimeoutMs, json: nerRequest(model, masked) });
    // Names are looked for in the masked text: the same positions, and nothing inside a masked value.
    out.set(t.id, spansFromAnswer(masked, res.choices[0].message.content));
  }
  return out;
}
