import { z } from 'zod';
import { SparkError, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { VllmConfig } from '../config.js';

/** vLLM's sleep mode over its dev-mode endpoints (VLLM_SERVER_DEV_MODE=1 and --enable-sleep-mode). Level 1 keeps the
 *  weights in host memory; level 2 discards them, so a wake reloads them from disk (`collective_rpc reload_weights`)
 *  between waking the weights' memory and the KV cache, as vLLM's sleep-mode docs do it. */
async function post(ctx: PluginContext<VllmConfig>, up: UpstreamRef, path: string, signal: AbortSignal, json?: unknown): Promise<void> {
  const r = await ctx.http.request(up, path, { method: 'POST', ...(json !== undefined ? { json } : { body: '' }), timeoutMs: 120_000, signal });
  let text = '';
  for await (const c of r.body) { if (text.length < 2000) text += c; }
  if (r.status !== 200) {
    let said = text.slice(0, 300);
    try { const j = JSON.parse(text) as { error?: { message?: string }; message?: string; detail?: string }; said = j.error?.message ?? j.message ?? j.detail ?? said; } catch { /* as text */ }
    throw new SparkError('VLLM_SLEEP_ENDPOINT', `vLLM answered ${r.status} to POST ${path.split('?')[0]}${said ? `: ${String(said).slice(0, 300)}` : ''}`, { status: 502, details: { path: path.split('?')[0], upstreamStatus: r.status } });
  }
}

export async function isSleeping(ctx: PluginContext<VllmConfig>, up: UpstreamRef, signal: AbortSignal): Promise<boolean> {
  return (await ctx.http.fetchJson(up, '/is_sleeping', z.object({ is_sleeping: z.boolean() }), { timeoutMs: 10_000, signal })).is_sleeping;
}

export async function putToSleep(ctx: PluginContext<VllmConfig>, up: UpstreamRef, level: 1 | 2, signal: AbortSignal): Promise<void> {
  await post(ctx, up, `/sleep?level=${level}`, signal);
  if (!(await isSleeping(ctx, up, signal))) throw new SparkError('VLLM_SLEEP_FAILED', 'vLLM accepted /sleep but /is_sleeping still says awake', { status: 502 });
}

export async function wakeUp(ctx: PluginContext<VllmConfig>, up: UpstreamRef, level: 1 | 2, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  if (level === 1) {
    await post(ctx, up, '/wake_up', signal);
  } else {
    await post(ctx, up, '/wake_up?tags=weights', signal);
    log('weights memory back; reloading the weights from disk');
    await post(ctx, up, '/collective_rpc', signal, { method: 'reload_weights' });
    await post(ctx, up, '/wake_up?tags=kv_cache', signal);
    await post(ctx, up, '/reset_prefix_cache', signal);
  }
  if (await isSleeping(ctx, up, signal)) throw new SparkError('VLLM_WAKE_FAILED', 'vLLM accepted /wake_up but /is_sleeping still says asleep', { status: 502 });
}
