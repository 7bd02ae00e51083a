/**
 * Is the launched model ready? process alive → /health 200 → /v1/models lists the served name → one streamed completion
 * yields a token, with the container's log followed meanwhile and a dead rank (head or worker) named with its likely
 * cause. Also the one-token canary a wake uses, and vLLM's version for the record.
 */
import { z } from 'zod';
import { SparkError, type JobHandle, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { isAlive, logTailCommand, processAliveCommand, type LaunchNodes } from '../launch.js';
import { classifyFailure } from '../signatures.js';
import { delay } from './delay.js';
import type { SwapDeps } from './deps.js';
import { enterPhase } from './phases.js';

/** process alive → /health 200 → /v1/models lists the served name → one streamed completion yields a token. */
export async function waitReady(d: SwapDeps, job: JobHandle, model: CatalogEntry, nodes?: LaunchNodes): Promise<void> {
  const cfg = d.cfg();
  const up = d.plan.upstream();
  d.logTail.reset();
  let stage: 'process' | 'health' | 'models' | 'completion' = 'process';
  enterPhase(d, job, 'process');
  let polls = 0;
  for (;;) {
    if (polls++ % 3 === 0) {
      const tail = await d.ssh.exec(job, logTailCommand(cfg, 80)).catch(() => undefined);
      if (tail) d.logTail.append(job, tail.stdout);
    }
    const alive = isAlive((await d.ssh.ridingOut(job, processAliveCommand(cfg))).stdout);
    // A worker's rank that died (its disk, its memory) is the cause to name, not the head's NCCL timeout after it.
    if (nodes?.workers.length && polls % 3 === 1) {
      for (const w of nodes.workers) {
        const ok = await d.ssh.exec(job, processAliveCommand(cfg), 30_000, w.hostId).then((r) => isAlive(r.stdout), () => true);
        if (ok) continue;
        const tail = (await d.ssh.exec(job, logTailCommand(cfg, 120), 15_000, w.hostId).catch(() => undefined))?.stdout ?? '';
        for (const line of tail.trim().split('\n').filter(Boolean).slice(-20)) job.log(`[${w.hostId}] ${line}`);
        const sig = classifyFailure(tail);
        throw new SparkError('VLLM_WORKER_DIED', `the worker rank on ${w.hostId} is no longer running${sig ? `: ${sig.message}` : '; see its log lines'}`, { status: 502, details: { host: w.hostId } });
      }
    }
    if (!alive) {
      const tail = await d.ssh.ridingOut(job, logTailCommand(cfg, 300));
      d.logTail.append(job, tail.stdout);
      const sig = classifyFailure(tail.stdout);
      throw new SparkError(sig?.code ?? 'VLLM_PROCESS_DIED', sig?.message ?? 'vllm serve is no longer running in the container; see the log lines', { status: 502 });
    }
    if (stage === 'process') { stage = 'health'; enterPhase(d, job, 'health'); }
    if (stage === 'health') {
      const ok = await d.ctx.http.request(up, '/health', { timeoutMs: 2000, signal: job.signal }).then((r) => { r.body.resume(); return r.status === 200; }, () => false);
      if (ok) { stage = 'models'; enterPhase(d, job, 'models'); }
    }
    if (stage === 'models') {
      const list = await d.ctx.http.fetchJson(up, '/v1/models', z.object({ data: z.array(z.object({ id: z.string() })) }), { timeoutMs: 5000, signal: job.signal }).catch(() => undefined);
      if (list?.data.some((m) => m.id === model.servedName)) { stage = 'completion'; enterPhase(d, job, 'completion'); }
    }
    if (stage === 'completion') {
      const token = await canary(d.ctx, up, model.servedName, job.signal).catch((e) => { job.log(`canary: ${(e as Error).message}`); return false; });
      if (token) {
        const tail = await d.ssh.exec(job, logTailCommand(cfg, 80)).catch(() => undefined);
        if (tail) d.logTail.append(job, tail.stdout);
        job.log('first token received: model is answering');
        return;
      }
    }
    await delay(cfg.readinessPollMs, job.signal);
  }
}

/** vLLM's own version (GET /version) for the record; undefined when it does not say. */
export function vllmVersion(d: SwapDeps, signal: AbortSignal): Promise<string | undefined> {
  return d.ctx.http.fetchJson(d.plan.upstream(), '/version', z.object({ version: z.string().max(64) }), { timeoutMs: 3000, signal }).then((v) => v.version, () => undefined);
}

/** One streamed completion with max_tokens 1: resolves true on the first data chunk with text. */
export async function canary(ctx: PluginContext<VllmConfig>, up: UpstreamRef, servedName: string, signal: AbortSignal): Promise<boolean> {
  const r = await ctx.http.request(up, '/v1/completions', { method: 'POST', json: { model: servedName, prompt: 'Hello', max_tokens: 1, stream: true }, timeoutMs: 30_000, signal });
  if (r.status !== 200) { r.body.resume(); return false; }
  let buf = '';
  for await (const chunk of r.body) {
    buf += chunk.toString();
    if (/^data: \{.*"text"/m.test(buf)) { r.body.destroy(); return true; }
    if (buf.includes('[DONE]')) break;
  }
  return false;
}
