import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SparkError, sh, validationError, type PluginContext, jobSnapshotSchema } from '@spark-control/plugin-api';
import { loadCatalog, parseModelEntry, userCatalogStore, type CatalogEntry } from './catalog.js';
import { exportCatalog, importBody, planImport } from './catalogTransfer.js';
import { probeFit } from './fitProbe.js';
import { cacheDirName, modelDir } from './launch.js';
import type { VllmConfig } from './config.js';
import { ModelDownloads } from './download.js';
import { createSwapHooks, vllmSwapPoint } from './hooks.js';
import { InflightRequests } from './inflight.js';
import { createChatPoint, vllmChatPoint } from './chatPoint.js';
import { linkSparks } from './linkSparks.js';
import { registerVllmLogRoutes } from './logRoutes.js';
import { withActivityLog } from './activity/activityLog.js';
import { scrapeVllmMetrics, tokensPerSecond } from './metrics.js';
import { openAiSchemas } from './openaiRoutes.js';
import { cacheDeletedResponse, catalogExport, catalogResponse, diskResponse, fitReport, importResponse, linkResponse, metricsResponse, modelEntry, modelFitResponse, onDemandResponse, removedResponse, swapCancelResponse, swapStateResponse } from './responses.js';
import { recordVllmHistory } from './history.js';
import { SwapController } from './swap.js';
import { MODEL_ID } from './validators.js';
import { modelNotAllowed, onDemandCompletion } from './onDemand/completions.js';
import { meterAnswer, type CompletionMeter } from './usage/completionUsage.js';
import { listModels } from './onDemand/modelList.js';
import { OnDemandScheduler } from './onDemand/scheduler.js';
import { onDemandMetrics } from './onDemand/metrics.js';
import { preloadAtBoot } from './onDemand/preload.js';
import { onDemandStatus } from './onDemand/status.js';
import { registerBenchmarks } from './benchmark/benchmarkRoutes.js';

const builtinCatalog = fileURLToPath(new URL('../catalog.yaml', import.meta.url)).replace('/dist/server/', '/');
const idParams = z.object({ id: z.string().regex(MODEL_ID, 'not a model id') });
const swapBody = z.object({
  model: z.string().regex(MODEL_ID, 'must be a model id from the catalog'),
  /** Start the previous model again if this swap fails (default: the rollbackOnFailure setting). */
  rollback: z.boolean().optional(),
});

export function registerVllm(ctx: PluginContext<VllmConfig>): void {
  const hooks = createSwapHooks();
  ctx.provide(vllmSwapPoint, hooks);
  const userStore = userCatalogStore(ctx);
  let catalog: CatalogEntry[] = loadCatalog(builtinCatalog, userStore, ctx.log);
  const inflight = new InflightRequests();
  const swap: SwapController = new SwapController(ctx, hooks, () => catalog, inflight, async (m) => (await probeFit(ctx, hostId(), hubDir(), [m], 15_000)).models[0].summary);
  ctx.provide(vllmChatPoint, createChatPoint({ swap, inflight }));
  recordVllmHistory(ctx, () => (swap.active && !swap.running ? { upstream: swap.upstream(), model: swap.active.servedName } : undefined));
  // Runs after the kernel cancelled the plugin's jobs: the last phase change of a cancelled swap is on disk first.
  ctx.onDispose(() => swap.flush());
  // Every Spark the model runs on; a tensor-parallel model whose Sparks cannot be planned (too few, one address) is
  // still downloaded on the head: the swap's preflight names what is wrong with the plan.
  const downloads = new ModelDownloads(ctx, (m) => {
    const n = swap.plannedNodes(m);
    return n ? [n.head, ...n.workers] : [{ hostId: swap.upstream().hostId!, address: '' }];
  });
  let lastMetrics: { at: number; tokens: number | null } | undefined;

  const userEntries = () => catalog.filter((m) => m.source === 'user').map(({ source: _s, ...m }) => m);
  const saveUser = async (entries: unknown[]) => {
    await userStore.write(entries);
    catalog = loadCatalog(builtinCatalog, userStore, ctx.log);
  };
  const parseEntry = parseModelEntry;
  const hostId = (): string => swap.upstream().hostId!;
  const modelOr404 = (id: string): CatalogEntry => {
    const m = catalog.find((x) => x.id === id);
    if (!m) throw new SparkError('VLLM_UNKNOWN_MODEL', `no model ${id}`, { status: 404 });
    return m;
  };
  const hubDir = () => {
    const h = ctx.config.get().hfHome;
    return h.startsWith('/') ? sh`${h + '/hub'}` : sh`"$HOME"/${h + '/hub'}`;
  };
  const stateOf = (m: CatalogEntry) => {
    const job = swap.lastJob;
    if (swap.running && job?.modelId === m.id) return 'loading';
    if (swap.active?.modelId === m.id) return 'active';
    if (job?.modelId === m.id && job.state === 'failed') return 'failed';
    return 'stopped';
  };

  /** Sizes on disk: one `du` for every model dir (HF cache dirs and local dirs) plus the free space. */
  async function disk() {
    const targets = catalog.map((m) => modelDir(m, hubDir()));
    const cmd = sh`for d in ${targets}; do if [ -e "$d" ]; then du -sk "$d" 2>/dev/null | cut -f1; else echo -; fi; done; echo @@df; df -Pk ${hubDir()} 2>/dev/null | tail -1 || df -Pk "$HOME" | tail -1`;
    const r = await ctx.ssh.exec(hostId(), cmd, { timeoutMs: 60_000 });
    const [sizes, dfPart] = r.stdout.split('@@df\n');
    const lines = sizes.trim().split('\n');
    const df = (dfPart ?? '').trim().split(/\s+/);
    return {
      models: catalog.map((m, i) => ({ id: m.id, source: m.localPath ? 'local' : 'hf', path: m.localPath ?? m.repo, sizeBytes: /^\d+$/.test(lines[i] ?? '') ? Number(lines[i]) * 1024 : null })),
      freeBytes: /^\d+$/.test(df[3] ?? '') ? Number(df[3]) * 1024 : null,
      totalBytes: /^\d+$/.test(df[1] ?? '') ? Number(df[1]) * 1024 : null,
    };
  }

  const r = ctx.routes;
  // The catalog answers under the plugin prefix and at the short /api/models path automation scripts use.
  const modelRoutes = (router: typeof r, base: string) => {
    router.add({ method: 'GET', path: base, summary: 'Catalog with state and source', response: catalogResponse }, () => ({
      active: swap.active, lost: swap.lost, models: catalog.map((m) => ({ ...m, state: stateOf(m), kind: m.localPath ? 'local' : 'hf', lastLoadSeconds: swap.lastLoadSeconds(m.id) ?? null, download: downloads.current(m.id) ?? null })),
    }));
    router.add({ method: 'POST', path: base, body: z.unknown(), summary: 'Add a model (validated before anything is stored)', response: modelEntry, responseStatus: 201 }, async (c) => {
      const entry = parseEntry(c.body);
      if (catalog.some((m) => m.id === entry.id)) throw validationError([{ field: 'id', message: `a model with id ${entry.id} already exists` }]);
      await saveUser([...userEntries(), entry]);
      c.status(201);
      return entry;
    });
    router.add({ method: 'GET', path: `${base}/export`, summary: 'The user-added models as a file to import elsewhere (built-ins ship with every install)', response: catalogExport }, (c) => {
      c.setHeader('Content-Disposition', 'attachment; filename="spark-control-models.json"');
      return exportCatalog(userEntries());
    });
    router.add({ method: 'POST', path: `${base}/import`, body: importBody, summary: 'Import models exported by Spark Control: every entry validated, all or nothing; merge (default) or replace; dryRun reports only', response: importResponse }, async (c) => {
      const plan = planImport(userEntries(), c.body.models, c.body.mode);
      const inUse = [swap.active?.modelId, swap.running ? swap.lastJob?.modelId : undefined].find((id) => id && plan.removed.includes(id));
      if (inUse) throw new SparkError('VLLM_MODEL_IN_USE', `replacing the catalog would remove ${inUse}, which is active or loading`, { status: 409 });
      if (!c.body.dryRun && (plan.added.length || plan.updated.length || plan.removed.length)) await saveUser(plan.entries);
      return { dryRun: c.body.dryRun, mode: c.body.mode, added: plan.added, updated: plan.updated, removed: plan.removed, unchanged: plan.unchanged };
    });
    router.add({ method: 'GET', path: `${base}/:id/fit`, params: idParams, summary: 'Will this model fit? Weights + KV cache for its context vs. memory per Spark, before launching', response: modelFitResponse }, async (c) => {
      const m = modelOr404(c.params.id);
      const report = await probeFit(ctx, hostId(), hubDir(), [m]);
      return { host: report.host, memTotalBytes: report.memTotalBytes, ...report.models[0] };
    });
    router.add({ method: 'PUT', path: `${base}/:id`, params: idParams, body: z.unknown(), summary: 'Replace a model entry', response: modelEntry }, async (c) => {
      // Spreading a JSON string would make an object of its characters (a megabyte body, a million keys): refuse it first.
      if (typeof c.body !== 'object' || c.body === null || Array.isArray(c.body)) throw validationError([{ field: '', message: 'must be a JSON object' }]);
      const entry = parseEntry({ ...c.body, id: c.params.id });
      await saveUser([...userEntries().filter((m) => m.id !== entry.id), entry]);
      return entry;
    });
    router.add({ method: 'POST', path: `${base}/:id/download`, params: idParams, summary: 'Download a Hugging Face model into the Spark\'s cache (job with progress; cancel via /api/jobs/<id>/cancel)', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
      const m = modelOr404(c.params.id);
      c.status(202);
      return downloads.start(m);
    });
    router.add({ method: 'DELETE', path: `${base}/:id`, params: idParams, summary: 'Remove a user-added model from the catalog', response: removedResponse }, async (c) => {
      const m = modelOr404(c.params.id);
      if (m.source !== 'user') throw new SparkError('VLLM_BUILTIN_MODEL', 'built-in catalog entries cannot be removed', { status: 409 });
      if (swap.active?.modelId === m.id || (swap.running && swap.lastJob?.modelId === m.id)) throw new SparkError('VLLM_MODEL_IN_USE', 'this model is active or loading', { status: 409 });
      await saveUser(userEntries().filter((x) => x.id !== m.id));
      return { removed: m.id };
    });
  };
  modelRoutes(r, '/models');
  modelRoutes(ctx.publicRoutes('/api/models'), '');
  r.add({ method: 'GET', path: '/fit', summary: 'Fit estimate of every catalog model (one SSH round trip)', response: fitReport }, () => probeFit(ctx, hostId(), hubDir(), catalog));
  r.add({ method: 'GET', path: '/disk', summary: 'Size on disk of every model and free space', response: diskResponse }, () => disk());
  r.add({ method: 'DELETE', path: '/models/:id/cache', params: idParams, summary: 'Delete a downloaded Hugging Face model from the cache', response: cacheDeletedResponse }, async (c) => {
    const m = modelOr404(c.params.id);
    if (m.localPath) throw new SparkError('VLLM_LOCAL_MODEL', 'local models are never deleted by Spark Control', { status: 409 });
    if (swap.active?.modelId === m.id || (swap.running && swap.lastJob?.modelId === m.id)) throw new SparkError('VLLM_MODEL_IN_USE', 'cannot delete the active or loading model', { status: 409 });
    // The path is built from the validated repo id, never taken from the client; realpath must sit directly in the hub.
    const name = cacheDirName(m.repo!);
    const res = await ctx.ssh.exec(hostId(), sh`hub=$(cd ${hubDir()} 2>/dev/null && pwd -P) || { echo nohub; exit 0; }; t="$hub"/${name}; [ -d "$t" ] || { echo absent; exit 0; }; [ "$(cd "$t" && pwd -P)" = "$hub"/${name} ] || { echo escape; exit 0; }; ls "$t"/blobs 2>/dev/null | grep -q '\.incomplete$' && { echo downloading; exit 0; }; s=$(du -sk "$t" | cut -f1); rm -rf --one-file-system -- "$t" "$hub"/.locks/${name} && echo "deleted $s"`, { timeoutMs: 120_000 });
    const out = res.stdout.trim();
    if (out.startsWith('deleted')) return { deleted: m.id, freedBytes: Number(out.split(' ')[1]) * 1024 };
    const why: Record<string, [number, string]> = { absent: [404, 'not downloaded'], escape: [409, 'the cache directory is a link outside the hub; refusing'], downloading: [409, 'a download is in progress'], nohub: [404, 'no Hugging Face cache on the Spark'] };
    const [status, msg] = why[out] ?? [502, `delete failed: ${(res.stderr || out).slice(0, 200)}`];
    throw new SparkError('VLLM_CACHE_DELETE_REFUSED', msg, { status });
  });

  const swapRoutes = (router: typeof r, base: string) => {
    router.add({ method: 'GET', path: base, summary: 'Current or last swap job', response: swapStateResponse }, () => ({
      running: swap.running, active: swap.active, lost: swap.lost, job: swap.lastJob, rollbackOnFailure: ctx.config.get().rollbackOnFailure,
    }));
    router.add({ method: 'POST', path: base, body: swapBody, summary: 'Swap the served model (one at a time)', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
      c.status(202);
      return swap.start(c.body.model, { rollback: c.body.rollback ?? ctx.config.get().rollbackOnFailure });
    });
    router.add({ method: 'POST', path: `${base}/cancel`, summary: 'Cancel the running swap', response: swapCancelResponse }, () => swap.cancel());
  };
  swapRoutes(r, '/swap');
  swapRoutes(ctx.publicRoutes('/api/swap'), '');

  // Launches across Sparks need the head's ssh to every other Spark; this sets it up instead of ssh-copy-id by hand.
  r.add({ method: 'POST', path: '/link', summary: 'Link Sparks: let the head ssh to every other Spark over the link (its key on each, their pinned host keys in its known_hosts), as launches across Sparks need', response: linkResponse }, (c) =>
    linkSparks(ctx, swap.allNodes(), c.signal));

  registerVllmLogRoutes(ctx, hostId);
  registerBenchmarks(ctx, { swap, hooks, catalog: () => catalog });
  r.add({ method: 'GET', path: '/metrics', summary: 'Live metrics of the served model', response: metricsResponse }, async () => {
    const { status, metrics: m } = await scrapeVllmMetrics(ctx, swap.upstream());
    if (!m) throw new SparkError('VLLM_METRICS_UNAVAILABLE', `vLLM answered ${status} on /metrics`, { status: 502 });
    const now = { at: Date.now(), tokens: m.generationTokens };
    const tps = tokensPerSecond(lastMetrics, now);
    lastMetrics = now;
    return { ...m, tokensPerSecond: tps };
  });

  // OpenAI-compatible proxy to the served model; a chat or completion naming another catalog model loads it first.
  const onDemand = new OnDemandScheduler(ctx, swap, inflight, () => catalog);
  onDemandMetrics(ctx, onDemand, () => catalog);
  ctx.onDispose(() => onDemand.dispose());
  // Programs call every /v1 route to use the model: an `inference` key may (the catch-all proxy included).
  const v1 = withActivityLog(ctx, ctx.publicRoutes('/v1', { scope: 'inference' }));
  // During the owner's swap the list is 503 as every other /v1 path; during a load a request started, it says "loading".
  v1.add({ method: 'GET', path: '/models', errorStyle: 'openai', summary: 'Every catalog model a request may name, with its state (serving, loading, stopping, stopped); a client with allow lists sees the ones it may use', response: openAiSchemas.modelList }, (c) => {
    const j = swap.busyJobId ? ctx.jobs.get(swap.busyJobId) : undefined;
    if (j?.kind === 'vllm.swap' && !onDemand.startedByRequest(j.id)) busy();
    return listModels(ctx, swap, onDemand, catalog, c.client);
  });
  r.add({ method: 'GET', path: '/ondemand', summary: 'Loading on request: per model its state, queued requests, idle countdown, last cold load and wake, counters', response: onDemandResponse }, () => onDemandStatus(ctx.config.get(), swap, onDemand, catalog));
  for (const path of ['/chat/completions', '/completions']) {
    v1.add({ method: 'POST', path, errorStyle: 'openai', bodyMode: 'raw', passthrough: true, maxBodyBytes: 32 * 1024 * 1024, summary: `${path === '/completions' ? 'Text' : 'Chat'} completion (OpenAI body; "stream": true answers server-sent events), from the model the body names, loaded on request when it is a catalog model that is not served`, response: path === '/completions' ? openAiSchemas.completion : openAiSchemas.chatCompletion }, (c) =>
      onDemandCompletion({ ctx, swap, scheduler: onDemand, inflight, catalog: () => catalog, plainProxy: (cc, body, meter) => proxy(cc, body, meter) }, c));
  }
  v1.add({ method: 'GET', path: '/*rest', errorStyle: 'openai', bodyMode: 'raw' }, (c) => proxy(c));
  v1.add({ method: 'POST', path: '/*rest', errorStyle: 'openai', bodyMode: 'raw', passthrough: true, maxBodyBytes: 32 * 1024 * 1024 }, (c) => {
    // Whatever it names, the served model answers: a client whose allow list leaves it out may not reach it this way.
    if (swap.active && !c.client.allows('models', swap.active.modelId)) throw modelNotAllowed(swap.active.servedName, 'use');
    return proxy(c, undefined, meterAnswer(c, swap.active?.modelId ?? ''));
  });
  function busy(): never {
    const j = swap.lastJob;
    throw new SparkError('VLLM_SWAP_RUNNING', `a model swap is running (${j?.modelId ?? '?'}, phase ${j?.phase ?? '?'}); try again later`, { status: 503, retryAfter: 30 });
  }
  function proxy(c: Parameters<Parameters<typeof r.add>[1]>[0], body?: Buffer, meter?: Pick<CompletionMeter, 'tapBody'>) {
    if (swap.running) busy();
    inflight.track(c.res);
    return ctx.http.proxy(c, swap.upstream(), { timeoutMs: 120_000, bodyTimeoutMs: 600_000, errorStyle: 'openai', ...(body ? { body } : {}), ...(meter ? { tapBody: meter.tapBody } : {}) }).catch((e: { status?: number }) => {
      // Nothing answering because nothing was started (not a fault of a running model): say so, and when to retry.
      if (!swap.active && !swap.running && (e.status === 502 || e.status === 503)) {
        throw new SparkError('VLLM_NOT_SERVING', 'no model is being served; start one with POST /api/swap (or the dashboard\'s Swap)', { status: 503, retryAfter: 30 });
      }
      throw e;
    });
  }

  ctx.health.register({
    name: 'vllm', service: 'vllm', intervalMs: 15_000, timeoutMs: 5000, // /health (2.5 s) plus, across Sparks, a worker check (2 s)
    check: async (signal) => {
      if (swap.running) return { status: 'degraded', detail: `swap running (${swap.lastJob?.phase ?? ''})` };
      let res;
      try {
        res = await ctx.http.request(swap.upstream(), '/health', { timeoutMs: 2500, signal });
      } catch (e) {
        const lost = await swap.noticeUnreachable().catch(() => undefined);
        if (lost) return { status: 'down', detail: `${lost.servedName} stopped without a swap (container ${lost.container}); it is not restarted automatically — press Swap to start it again` };
        // Nothing was started by us: say so in plain words rather than a socket error code.
        if (!swap.active) return { status: 'down', detail: swap.lost ? `${swap.lost.servedName} stopped without a swap at ${swap.lost.at}; press Swap to start a model` : 'no model is running; pick one in the catalog and press Swap' };
        throw e;
      }
      res.body.resume();
      if (res.status === 200 && !swap.active) await swap.adoptRunning(signal);
      if (res.status !== 200) return { status: 'down', detail: `health ${res.status}` };
      const down = await swap.workersDown(signal);
      if (down.length) return { status: 'degraded', detail: `${swap.active?.servedName} still answers, but on ${down.map((d) => `${d.hostId} ${d.why}`).join('; ')}: it stops once the other ranks time out — swap it in again` };
      if (swap.active?.asleep) return { status: 'up', detail: `${swap.active.servedName} (asleep since ${swap.active.asleep.since}; the next request wakes it)` };
      return { status: 'up', detail: swap.active?.servedName ?? 'serving a model that is not in the catalog' };
    },
  });

  ctx.lifecycle.onStart(async () => {
    await swap.recover().catch((e) => ctx.log.warn('could not check the swap left from before the restart', { error: (e as Error).message }));
    await swap.syncSleepState().catch(() => undefined);
    void preloadAtBoot(ctx, swap, () => catalog);
  });

  ctx.tiles.register({ tag: 'spark-vllm-tile', module: 'tile.js', title: 'LLM (vLLM)', cols: 2, order: 20 });
}
