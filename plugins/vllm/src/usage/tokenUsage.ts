/** The two counts of vLLM's `usage` that are counted per client. */
export interface TokenUsage { prompt_tokens: number; completion_tokens: number }

/** vLLM's usage object, when it is one (either count may be missing: it is then 0). The Responses API names them
 *  input_tokens and output_tokens. */
export function tokenUsage(u: unknown): TokenUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const o = u as Record<string, unknown>;
  const p = o.prompt_tokens ?? o.input_tokens;
  const q = o.completion_tokens ?? o.output_tokens;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  if (n(p) === undefined && n(q) === undefined) return undefined;
  return { prompt_tokens: n(p) ?? 0, completion_tokens: n(q) ?? 0 };
}
