import { fileURLToPath } from 'node:url';
import { SparkError, sh, type HealthCheckResult, type PluginContext, type RouteContext, type ShellCommand } from '@spark-control/plugin-api';
import { loadCatalog, userCatalogStore, type CatalogEntry } from './catalog.js';
import { createChatPoint, vllmChatPoint } from './chatPoint.js';
import type { VllmConfig } from './config.js';
import { ModelDownloads } from './download.js';
import { probeFit } from './fitProbe.js';
import { recordVllmHistory } from './history.js';
import { createSwapHooks, vllmSwapPoint, type VllmSwapHooks } from './hooks.js';
import { InflightRequests } from './inflight.js';
import { scrapeVllmMetrics, tokensPerSecond } from './metrics.js';
import { OnDemandScheduler } from './onDemand/scheduler.js';
import { preloadAtBoot } from './onDemand/preload.js';
import { Residency } from './residency/residency.js';
import { SwapController } from './swap.js';
import { MAX_SLOTS } from './swap/slot.js';
import type { CompletionMeter } from './usage/completionUsage.js';

const builtinCatalog = fileURLToPath(new URL('../catalog.yaml', import.meta.url)).replace('/dist/server/', '/');

/** A catalog entry as the user file stores it (without the `source` the loader adds). */
export type UserEntry = Omit<CatalogEntry, 'source'>;

/**
 * The vLLM plugin's state and what changes it: the catalog (built-in plus the user file), the swap, the requests in
 * flight, the on-demand scheduler and the downloads, the last metrics scrape, the health check and the proxy to the
 * served model. The routes (routes.ts, catalogRoutes.ts, swapRoutes.ts, openaiRoutes.ts, residency/routes.ts) and register.ts go through it; one SwapController per serving slot, the residency arbiter over them.
 */
export class VllmCoordinator {
  readonly hooks: VllmSwapHooks = createSwapHooks();
  readonly inflight: InflightRequests = new InflightRequests();
  /** Serving slot 1: the model swap the API and tile drive. */
  readonly swap: SwapController;
  /** Which slots hold which models, and where a load goes (one slot unless models share the Sparks). */
  readonly residency: Residency;
  readonly downloads: ModelDownloads;
  readonly onDemand: OnDemandScheduler;
  private readonly userStore: ReturnType<typeof userCatalogStore>;
  private catalogNow: CatalogEntry[];
  private lastMetrics: { at: number; tokens: number | null } | undefined;

  constructor(private readonly ctx: PluginContext<VllmConfig>) {
    ctx.provide(vllmSwapPoint, this.hooks);
    this.userStore = userCatalogStore(ctx);
    this.catalogNow = loadCatalog(builtinCatalog, this.userStore, ctx.log);
    const fitOf = async (m: CatalogEntry) => (await probeFit(ctx, this.hostId(), this.hubDir(), [m], 15_000)).models[0];
    const slots: SwapController[] = [];
    this.residency = new Residency({ ctx, slots, catalog: this.catalog, lastUsed: (id) => this.onDemand.lastUseOf(id), estimate: async (m) => (await fitOf(m)).needBytesPerNode ?? undefined });
    const sharing = this.residency.sharingFor();
    for (let k = 1; k <= MAX_SLOTS; k++) {
      slots.push(new SwapController(ctx, this.hooks, this.catalog, k === 1 ? this.inflight : new InflightRequests(), async (m) => (await fitOf(m)).summary, { slot: k, sharing }));
    }
    this.swap = slots[0];
    ctx.provide(vllmChatPoint, createChatPoint({ swap: this.swap, inflight: this.inflight }));
    recordVllmHistory(ctx, () => this.residency.slots.flatMap((s) => (s.active && !s.running ? [{ upstream: s.upstream(), model: s.active.servedName }] : [])));
    // Runs after the kernel cancelled the plugin's jobs: the last phase change of a cancelled swap is on disk first.
    ctx.onDispose(() => Promise.all(slots.map((s) => s.flush())).then(() => undefined));
    // Every Spark the model runs on; a tensor-parallel model whose Sparks cannot be planned (too few, one address) is
    // still downloaded on the head: the swap's preflight names what is wrong with the plan.
    this.downloads = new ModelDownloads(ctx, (m) => {
      const n = this.swap.plannedNodes(m);
      return n ? [n.head, ...n.workers] : [{ hostId: this.swap.upstream().hostId!, address: '' }];
    });
    // A chat or completion naming another catalog model loads it first (register.ts disposes it).
    this.onDemand = new OnDemandScheduler(ctx, this.residency, this.catalog);
    // Fewer slots than before: the models in the slots given up are stopped (nothing would manage them any more).
    ctx.config.watch((next, prev) => {
      for (const s of slots.slice(next.maxResident, prev.maxResident)) {
        if (!s.active || s.running) continue;
        try { s.unload(`maxResident lowered to ${next.maxResident}`); } catch (e) { ctx.log.warn('could not stop the model of a slot given up', { slot: s.slot, error: (e as Error).message }); }
      }
    });
  }

  /** The catalog now (replaced whenever the user file is saved). */
  readonly catalog = (): CatalogEntry[] => this.catalogNow;

  userEntries(): UserEntry[] {
    return this.catalogNow.filter((m) => m.source === 'user').map(({ source: _s, ...m }) => m);
  }

  async saveUser(entries: unknown[]): Promise<void> {
    await this.userStore.write(entries);
    this.catalogNow = loadCatalog(builtinCatalog, this.userStore, this.ctx.log);
  }

  /** The Spark the served model's head runs on. */
  readonly hostId = (): string => this.swap.upstream().hostId!;

  modelOr404(id: string): CatalogEntry {
    const m = this.catalogNow.find((x) => x.id === id);
    if (!m) throw new SparkError('VLLM_UNKNOWN_MODEL', `no model ${id}`, { status: 404 });
    return m;
  }

  /** The Hugging Face hub directory on the Spark (hfHome relative to the home directory unless absolute). */
  hubDir(): ShellCommand {
    const h = this.ctx.config.get().hfHome;
    return h.startsWith('/') ? sh`${h + '/hub'}` : sh`"$HOME"/${h + '/hub'}`;
  }

  /** The catalog's state of a model, in whichever serving slot holds or loads it. */
  stateOf(m: CatalogEntry): 'loading' | 'active' | 'failed' | 'stopped' {
    const slots = this.residency.slots;
    if (slots.some((s) => s.running && s.lastJob?.modelId === m.id)) return 'loading';
    if (slots.some((s) => s.active?.modelId === m.id)) return 'active';
    if (slots.some((s) => s.lastJob?.modelId === m.id && s.lastJob.state === 'failed')) return 'failed';
    return 'stopped';
  }

  /** Is the model served now in a slot, or the one a running swap loads? */
  inUse(modelId: string): boolean {
    return this.residency.slots.some((s) => s.active?.modelId === modelId || (s.running && s.lastJob?.modelId === modelId));
  }

  /** The served model's live metrics, with tokens per second since the previous scrape. */
  async liveMetrics() {
    const { status, metrics: m } = await scrapeVllmMetrics(this.ctx, this.swap.upstream());
    if (!m) throw new SparkError('VLLM_METRICS_UNAVAILABLE', `vLLM answered ${status} on /metrics`, { status: 502 });
    const now = { at: Date.now(), tokens: m.generationTokens };
    const tps = tokensPerSecond(this.lastMetrics, now);
    this.lastMetrics = now;
    return { ...m, tokensPerSecond: tps };
  }

  busy(): never {
    const j = this.swap.lastJob;
    throw new SparkError('VLLM_SWAP_RUNNING', `a model swap is running (${j?.modelId ?? '?'}, phase ${j?.phase ?? '?'}); try again later`, { status: 503, retryAfter: 30 });
  }

  /** The request to the served model as sent (503 during a swap), its answer streamed back. */
  proxy(c: RouteContext, body?: Buffer, meter?: Pick<CompletionMeter, 'tapBody'>): Promise<void> {
    const swap = this.swap;
    if (swap.running) this.busy();
    this.inflight.track(c.res);
    return this.ctx.http.proxy(c, swap.upstream(), { timeoutMs: 120_000, bodyTimeoutMs: 600_000, errorStyle: 'openai', ...(body ? { body } : {}), ...(meter ? { tapBody: meter.tapBody } : {}) }).catch((e: { status?: number }) => {
      // Nothing answering because nothing was started (not a fault of a running model): say so, and when to retry.
      if (!swap.active && !swap.running && (e.status === 502 || e.status === 503)) {
        throw new SparkError('VLLM_NOT_SERVING', 'no model is being served; start one with POST /api/swap (or the dashboard\'s Swap)', { status: 503, retryAfter: 30 });
      }
      throw e;
    });
  }

  /** The health check: slot 1's (below), and when models share the Sparks every other slot's after it. */
  async checkHealth(signal: AbortSignal): Promise<HealthCheckResult> {
    const first = await this.checkFirstSlot(signal);
    if (!this.residency.shared) return first;
    const others = await this.checkSharedSlots(signal);
    const rank = { up: 0, degraded: 1, down: 2 } as const;
    return { status: rank[others.status as keyof typeof rank] > rank[first.status as keyof typeof rank] ? others.status : first.status, detail: `${first.detail ?? ''}; ${others.detail ?? ''}` };
  }

  /** Slot 1: the swap, vLLM's /health, the workers of a model across Sparks; adopts a model found running. */
  private async checkFirstSlot(signal: AbortSignal): Promise<HealthCheckResult> {
    const swap = this.swap;
    if (swap.running) return { status: 'degraded', detail: `swap running (${swap.lastJob?.phase ?? ''})` };
    let res;
    try {
      res = await this.ctx.http.request(swap.upstream(), '/health', { timeoutMs: 2500, signal });
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
  }

  /** The slots beside slot 1 (models sharing the Sparks): each one's model still answers, was lost without a swap, or
   *  one found answering in an empty slot is taken over. */
  async checkSharedSlots(signal: AbortSignal): Promise<HealthCheckResult> {
    const extra = this.residency.slots.slice(1);
    const said: string[] = [];
    let worst: HealthCheckResult['status'] = 'up';
    for (const s of extra) {
      if (s.running) { said.push(`slot ${s.slot}: ${s.lastJob?.phase ?? 'busy'}`); continue; }
      const ok = await this.ctx.http.request(s.upstream(), '/health', { timeoutMs: 2000, signal }).then((r) => { r.body.resume(); return r.status === 200; }, () => false);
      if (ok && !s.active) await s.adoptRunning(signal).catch(() => undefined);
      if (!ok && s.active) {
        const lost = await s.noticeUnreachable().catch(() => undefined);
        if (lost) { worst = 'degraded'; said.push(`slot ${s.slot}: ${lost.servedName} stopped without a swap (container ${lost.container})`); continue; }
      }
      said.push(`slot ${s.slot}: ${s.active ? `${s.active.servedName}${s.active.asleep ? ' (asleep)' : ''}` : 'empty'}`);
    }
    return { status: worst, detail: said.join('; ') };
  }

  /** At start: the swap left from before the restart in every slot, the sleep states, the models to preload. */
  async start(): Promise<void> {
    for (const s of this.residency.slots) {
      await s.recover().catch((e) => this.ctx.log.warn('could not check the swap left from before the restart', { slot: s.slot, error: (e as Error).message }));
      await s.syncSleepState().catch(() => undefined);
    }
    void preloadAtBoot(this.ctx, this.residency, this.catalog);
  }
}
