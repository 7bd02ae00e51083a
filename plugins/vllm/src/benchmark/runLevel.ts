import type { PluginContext, UpstreamRef } from '@spark-control/plugin-api';
import { benchmarkPrompt } from './prompts.js';

/** What one concurrency level measured. Tokens are the sums of vLLM's `usage`; a request whose answer carried no
 *  usage counts as an error, never as a guess. Times in ms; rates over the level's wall time. */
export interface LevelResult {
  concurrency: number;
  requests: number;
  ok: number;
  errors: number;
  /** The first error's words, for the run's record. */
  firstError?: string;
  wallMs: number;
  promptTokens: number;
  generationTokens: number;
  promptTokensPerSec: number;
  generationTokensPerSec: number;
  ttftMs: { p50: number | null; p99: number | null };
  latencyMs: { p50: number | null; p99: number | null };
}

export interface LevelPlan { concurrency: number; requests: number; maxTokens: number; servedName: string; requestTimeoutMs: number }

interface One { ttftMs: number; latencyMs: number; promptTokens: number; completionTokens: number }

/** Nearest-rank percentile of an unsorted list; null when empty. */
export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const MAX_EVENT_BYTES = 1024 * 1024;

/** One streamed chat against vLLM: time to the first generated text, total time and the usage of the last chunk. */
async function oneRequest(ctx: PluginContext<unknown>, upstream: UpstreamRef, plan: LevelPlan, i: number, signal: AbortSignal): Promise<One> {
  const t0 = performance.now();
  const res = await ctx.http.request(upstream, '/v1/chat/completions', {
    method: 'POST', timeoutMs: plan.requestTimeoutMs, signal,
    // ignore_eos: every answer runs to max_tokens (as vLLM's own `vllm bench serve`), so runs generate the same amount.
    json: { model: plan.servedName, messages: [{ role: 'user', content: benchmarkPrompt(i) }], max_tokens: plan.maxTokens, temperature: 0, ignore_eos: true, stream: true, stream_options: { include_usage: true } },
  });
  if (res.status !== 200) {
    let text = '';
    for await (const chunk of res.body) { text += String(chunk); if (text.length > 4096) break; }
    res.body.destroy();
    throw new Error(`vLLM answered ${res.status}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  res.body.setEncoding('utf8');
  let ttft: number | undefined;
  let usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  let buf = '';
  const onEvent = (data: string) => {
    if (data === '[DONE]') return;
    let ev: { choices?: Array<{ delta?: { content?: string | null; reasoning_content?: string | null }; text?: string }>; usage?: typeof usage; error?: { message?: string } };
    try { ev = JSON.parse(data); } catch { return; }
    if (ev.error) throw new Error(`vLLM stream error: ${String(ev.error.message ?? '').slice(0, 200)}`);
    const c = ev.choices?.[0];
    if (ttft === undefined && c && (c.delta?.content || c.delta?.reasoning_content || c.text)) ttft = performance.now() - t0;
    if (ev.usage) usage = ev.usage;
  };
  for await (const chunk of res.body) {
    buf += String(chunk);
    let cut: number;
    while ((cut = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, cut).trim();
      buf = buf.slice(cut + 1);
      if (line.startsWith('data:')) onEvent(line.slice(5).trim());
    }
    if (buf.length > MAX_EVENT_BYTES) { res.body.destroy(); throw new Error('vLLM sent an event over 1 MiB'); }
  }
  const latencyMs = performance.now() - t0;
  const pt = Number(usage?.prompt_tokens);
  const ct = Number(usage?.completion_tokens);
  if (!usage || !Number.isFinite(pt) || !Number.isFinite(ct)) throw new Error('the answer carried no usage (prompt_tokens, completion_tokens)');
  return { ttftMs: ttft ?? latencyMs, latencyMs, promptTokens: pt, completionTokens: ct };
}

/** Runs `plan.requests` streamed chats with `plan.concurrency` in flight at a time; `onDone` after each. Aborting
 *  `signal` (the job's cancel or timeout) stops every request in flight. */
export async function runLevel(ctx: PluginContext<unknown>, upstream: UpstreamRef, plan: LevelPlan, signal: AbortSignal, onDone: () => void): Promise<LevelResult> {
  const done: One[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < plan.requests) {
      const i = next++;
      try {
        done.push(await oneRequest(ctx, upstream, plan, i, signal));
      } catch (e) {
        if (signal.aborted) throw signal.reason ?? e;
        errors++;
        firstError ??= (e as Error).message.slice(0, 300);
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.requests) }, worker));
  const wallMs = performance.now() - t0;
  const promptTokens = done.reduce((a, d) => a + d.promptTokens, 0);
  const generationTokens = done.reduce((a, d) => a + d.completionTokens, 0);
  const perSec = (n: number) => (wallMs > 0 ? Math.round((n / (wallMs / 1000)) * 10) / 10 : 0);
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  const ttfts = done.map((d) => d.ttftMs);
  const lats = done.map((d) => d.latencyMs);
  return {
    concurrency: plan.concurrency, requests: plan.requests, ok: done.length, errors, ...(firstError ? { firstError } : {}),
    wallMs: Math.round(wallMs), promptTokens, generationTokens, promptTokensPerSec: perSec(promptTokens), generationTokensPerSec: perSec(generationTokens),
    ttftMs: { p50: ms(percentile(ttfts, 50)), p99: ms(percentile(ttfts, 99)) },
    latencyMs: { p50: ms(percentile(lats, 50)), p99: ms(percentile(lats, 99)) },
  };
}
