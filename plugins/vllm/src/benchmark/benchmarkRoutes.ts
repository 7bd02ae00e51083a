import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SparkError, type JobHandle, type JobSnapshot, type PluginContext, jobSnapshotSchema } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { VllmSwapHooks } from '../hooks.js';
import type { SwapController } from '../swap.js';
import { MODEL_ID } from '../validators.js';
import { BenchmarkStore, type BenchmarkRun, type LaunchFacts } from './benchmarkStore.js';
import { BENCHMARK_PROMPTS } from './prompts.js';
import { benchmarksResponse, removedResponse } from '../responses.js';
import { runLevel, type LevelResult } from './runLevel.js';

export const BENCHMARK_MAX_RUNS = 200;
const RUN_ID = /^b_[a-z0-9]{8,32}$/;

const benchmarkBody = z.object({
  /** In-flight requests of each level, run in the order given. */
  concurrency: z.array(z.int().min(1).max(64)).min(1).max(6)
    .refine((l) => new Set(l).size === l.length, 'each level once').default([1, 8, 32]),
  /** Requests per level (at least the level's concurrency, so it is reached), prompts taken from the fixed set in turn. */
  count: z.int().min(1).max(256).default(32),
  /** Tokens each answer generates (vLLM's ignore_eos: every answer runs to it). */
  maxTokens: z.int().min(1).max(2048).default(256),
});
const listQuery = z.object({ model: z.string().regex(MODEL_ID, 'not a model id').optional() });
const runParams = z.object({ id: z.string().regex(RUN_ID, 'not a benchmark run id') });

/** The catalog entry a successful swap launched. */
interface LaunchRecord { modelId: string; args: string[]; image: string; tensorParallel: number }

interface Deps { swap: SwapController; hooks: VllmSwapHooks; catalog: () => CatalogEntry[] }

/** Benchmarks of the served model: POST starts a job that runs the fixed prompt set at each concurrency level straight
 *  against vLLM (not through /v1: no activity rows, no client usage), and stores the run with what the model was
 *  launched with; GET lists the runs, DELETE removes one. A swap cancels a running benchmark (the owner chose). */
export function registerBenchmarks(ctx: PluginContext<VllmConfig>, { swap, hooks, catalog }: Deps): void {
  const store = new BenchmarkStore(ctx, BENCHMARK_MAX_RUNS);
  let runningId: string | undefined;
  const running = (): JobSnapshot | undefined => {
    const j = runningId ? ctx.jobs.get(runningId) : undefined;
    return j && !j.endedAt ? j : undefined;
  };
  // What each swap launched, kept from its start to its success: a catalog edit after the launch must not be taken for
  // the served model's args.
  const launches = ctx.store<LaunchRecord>('benchmark-launch', { version: 1 });
  let launching: LaunchRecord | undefined;
  hooks.beforeSwap.tapPromise('vllm.benchmark', async (plan) => {
    const j = running();
    if (j) ctx.jobs.cancel(j.id, 'a model swap started');
    const e = catalog().find((m) => m.id === plan.modelId);
    launching = e ? { modelId: e.id, args: [...e.args], image: e.image, tensorParallel: e.tensorParallel } : undefined;
    return undefined;
  });
  hooks.afterSwap.tapPromise('vllm.benchmark', async (result) => {
    if (result.ok && launching?.modelId === result.modelId) await launches.write(launching).catch((e) => ctx.log.warn('could not record the launch', { error: (e as Error).message }));
    launching = undefined;
  });
  const launchedAs = (entry: CatalogEntry): Omit<LaunchFacts, 'maxModelLen'> => {
    let rec: LaunchRecord | undefined;
    try { rec = launches.read(); } catch { rec = undefined; }
    return rec?.modelId === entry.id
      ? { args: rec.args, image: rec.image, tensorParallel: rec.tensorParallel, source: 'swap' }
      : { args: [...entry.args], image: entry.image, tensorParallel: entry.tensorParallel, source: 'catalog' };
  };

  /** The launch of the served model as far as Spark Control and vLLM know it, and vLLM's version. */
  async function launchFacts(entry: CatalogEntry, servedName: string, signal: AbortSignal): Promise<{ launch: LaunchFacts; vllmVersion: string | null }> {
    const up = swap.upstream();
    const [models, version] = await Promise.all([
      ctx.http.fetchJson(up, '/v1/models', z.object({ data: z.array(z.object({ id: z.string(), max_model_len: z.number().int().optional() }).loose()) }), { timeoutMs: 5000, signal }).catch(() => undefined),
      ctx.http.fetchJson(up, '/version', z.object({ version: z.string().max(64) }), { timeoutMs: 3000, signal }).then((v) => v.version, () => null),
    ]);
    const maxModelLen = models?.data.find((d) => d.id === servedName)?.max_model_len ?? null;
    return { launch: { ...launchedAs(entry), maxModelLen }, vllmVersion: version };
  }

  async function run(job: JobHandle, plan: z.output<typeof benchmarkBody>, entry: CatalogEntry, servedName: string): Promise<BenchmarkRun> {
    const at = new Date().toISOString();
    const facts = await launchFacts(entry, servedName, job.signal);
    job.log(`benchmarking ${servedName} (vLLM ${facts.vllmVersion ?? 'version unknown'}) at concurrency ${plan.concurrency.join(', ')}; ${plan.count} requests per level, ${plan.maxTokens} tokens each`);
    const requestTimeoutMs = 60_000 + plan.maxTokens * 500;
    const total = plan.concurrency.reduce((a, c) => a + Math.max(plan.count, c), 0);
    let finished = 0;
    const levels: LevelResult[] = [];
    for (const c of plan.concurrency) {
      if (swap.running || swap.active?.modelId !== entry.id) throw new SparkError('VLLM_BENCHMARK_MODEL_CHANGED', 'the served model changed during the benchmark', { status: 409 });
      // Benchmark requests bypass /v1, so an idle timer may put the model to sleep meanwhile: its figures would be errors.
      if (swap.active.asleep) throw new SparkError('VLLM_MODEL_ASLEEP', `${servedName} was put to sleep during the benchmark`, { status: 409 });
      job.phase(`concurrency ${c}`);
      const r = await runLevel(ctx, swap.upstream(), { concurrency: c, requests: Math.max(plan.count, c), maxTokens: plan.maxTokens, servedName, requestTimeoutMs }, job.signal, () => job.progress(++finished / total));
      job.log(`concurrency ${c}: ${r.generationTokensPerSec} generated tokens/s, ${r.promptTokensPerSec} prompt tokens/s, TTFT p50 ${r.ttftMs.p50 ?? '–'} ms p99 ${r.ttftMs.p99 ?? '–'} ms, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`);
      levels.push(r);
    }
    if (levels.every((l) => l.ok === 0)) throw new SparkError('VLLM_BENCHMARK_FAILED', `no request succeeded: ${levels[0]?.firstError ?? 'no answer'}`, { status: 502 });
    const stored: BenchmarkRun = { id: `b_${randomBytes(8).toString('hex')}`, at, modelId: entry.id, servedName, ...facts, settings: plan, levels, jobId: job.id };
    await store.add(stored);
    return stored;
  }

  const r = ctx.routes;
  r.add({ method: 'POST', path: '/benchmarks', body: benchmarkBody, summary: `Benchmark the served model: a job running the fixed set of ${BENCHMARK_PROMPTS.length} prompts, streamed, at each concurrency (default 1, 8, 32), recording prompt and generated tokens/s (from vLLM's usage), TTFT and latency p50/p99 and errors; stored with the launch args and vLLM version (the last ${BENCHMARK_MAX_RUNS} runs). Cancel via /api/jobs/<id>/cancel`, response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
    const active = swap.active;
    if (swap.running) throw new SparkError('VLLM_SWAP_IN_PROGRESS', 'a swap, unload, sleep or wake is running; benchmark once it ended', { status: 409 });
    if (!active) throw new SparkError('VLLM_NOTHING_SERVED', 'no model is being served; swap one in first', { status: 409 });
    if (active.asleep) throw new SparkError('VLLM_MODEL_ASLEEP', `${active.servedName} is asleep; wake it (send it a request) before benchmarking`, { status: 409 });
    const busy = running();
    if (busy) throw new SparkError('VLLM_BENCHMARK_RUNNING', 'a benchmark is already running', { status: 409, details: { job: { id: busy.id, phase: busy.phase } } });
    const entry = catalog().find((m) => m.id === active.modelId);
    if (!entry) throw new SparkError('VLLM_UNKNOWN_MODEL', `the served model ${active.modelId} is not in the catalog`, { status: 409 });
    const plan = c.body;
    const rounds = plan.concurrency.reduce((a, n) => a + Math.ceil(Math.max(plan.count, n) / n), 0);
    const snap = ctx.jobs.start({
      kind: 'vllm.benchmark', title: `Benchmark ${entry.name}`, phases: plan.concurrency.map((n) => `concurrency ${n}`),
      timeoutMs: Math.min(6 * 3600_000, 60_000 + rounds * (60_000 + plan.maxTokens * 500)),
      meta: { modelId: entry.id, servedName: active.servedName, ...plan },
      run: (job) => run(job, plan, entry, active.servedName),
    });
    runningId = snap.id;
    c.status(202);
    return snap;
  });
  r.add({ method: 'GET', path: '/benchmarks', query: listQuery, summary: 'Stored benchmark runs, newest first (only those of ?model=<id> when given), and the running one', response: benchmarksResponse }, (c) => ({
    runs: store.list(c.query.model), running: running() ?? null, kept: BENCHMARK_MAX_RUNS, served: swap.active?.modelId ?? null,
  }));
  r.add({ method: 'DELETE', path: '/benchmarks/:id', params: runParams, summary: 'Remove a stored benchmark run', response: removedResponse }, async (c) => {
    if (!(await store.remove(c.params.id))) throw new SparkError('VLLM_BENCHMARK_NOT_FOUND', `no benchmark run ${c.params.id}`, { status: 404 });
    return { removed: c.params.id };
  });
}
