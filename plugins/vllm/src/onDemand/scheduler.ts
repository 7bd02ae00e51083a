import type { ServerResponse } from 'node:http';
import { SparkError, type PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { Residency } from '../residency/residency.js';
import type { SwapController } from '../swap.js';

interface Waiter { modelId: string; since: number; priority: number; resolve(): void; reject(e: unknown): void; cleanup(): void }

/** Served first: the higher client priority, then the one waiting longer. */
const servedBefore = (a: Waiter, b: Waiter) => b.priority - a.priority || a.since - b.since;

/** What the dashboard and GET /ondemand show per model. */
export interface OnDemandModelStats { queued: number; loads: number; failedLoads: number; timeouts: number; refused: number; lastWaitMs: number | null; lastUsedAt: string | null }

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * Load on request: a request naming a catalog model that is not served waits here while the model loads, through the
 * SwapController's own swap (one launch path). Requests for one model share one load; each model's queue has a bound
 * and a maximum wait (past either, 503 with Retry-After from the model's measured load time); a waiter whose client
 * left is dropped. Against thrashing, the served model keeps serving for minResidencySec after it loaded, and its
 * requests in flight finish before a switch (bounded by drainTimeoutSec) while new ones for it are still forwarded.
 * The model whose first waiter comes first loads next: the highest client priority, then the longest wait (FIFO within
 * a priority). An idle model (idleTtlSec) is unloaded. Where a load goes is the residency arbiter's word: the one slot,
 * or — when models share the Sparks — a free slot after the least recently used made room (sleep, then stop).
 */
export class OnDemandScheduler {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly stats = new Map<string, Omit<OnDemandModelStats, 'queued' | 'lastUsedAt'>>();
  private readonly lastUsed = new Map<string, number>();
  private loading?: { modelId: string; jobId: string; startedAt: number };
  private looping = false;
  private again = false;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    private readonly ctx: PluginContext<VllmConfig>, private readonly residency: Residency, private readonly catalog: () => CatalogEntry[],
  ) {
    this.idleTimer = setInterval(() => this.unloadIfIdle(), 1000);
    this.idleTimer.unref();
  }

  dispose(): void {
    clearInterval(this.idleTimer);
    for (const q of this.queues.values()) for (const w of [...q]) { w.cleanup(); w.reject(new SparkError('VLLM_STOPPING', 'Spark Control is stopping', { status: 503, retryAfter: 10 })); }
    this.queues.clear();
  }

  /** The model answers now (served, and no swap or unload is under way in its slot). */
  serving(modelId: string): boolean {
    return !!this.residency.serving(modelId);
  }

  /** The model a load started by a request is bringing up, if any. */
  get loadingModelId(): string | undefined { return this.loading?.modelId; }

  /** Was this job started by a request (not by the owner's swap)? */
  startedByRequest(jobId: string | undefined): boolean { return !!jobId && this.loading?.jobId === jobId; }

  queued(modelId: string): number { return this.queues.get(modelId)?.length ?? 0; }

  statsOf(modelId: string): OnDemandModelStats {
    const s = this.stat(modelId);
    const used = this.lastUsed.get(modelId);
    return { ...s, queued: this.queued(modelId), lastUsedAt: used ? new Date(used).toISOString() : null };
  }

  /** Seconds until the served model is unloaded for being idle, or null when it is not going to be. */
  idleCountdownSec(model: CatalogEntry): number | null {
    if (!model.idleTtlSec || !this.residency.holding(model.id)) return null;
    return Math.max(0, Math.ceil((this.lastUseOf(model.id) + model.idleTtlSec * 1000 - Date.now()) / 1000));
  }

  /** A request is being served by this model: it is not idle until the response closed. */
  touch(modelId: string, res: ServerResponse): void {
    this.lastUsed.set(modelId, Date.now());
    res.once('close', () => this.lastUsed.set(modelId, Date.now()));
  }

  /** Seconds a client should wait before trying again for this model: its measured load time (else the expected
   *  one), less what the load under way already took, plus what the load before it still needs. */
  etaSec(model: CatalogEntry): number {
    const r = this.residency;
    const asleep = (m: CatalogEntry) => !!r.holding(m.id)?.active?.asleep;
    const loadSec = (m: CatalogEntry) => (asleep(m) ? (r.lastWakeMs(m.id) ?? 2000) / 1000 : r.lastLoadSeconds(m.id) ?? m.expectedLoadMinutes * 60);
    const l = this.loading;
    const elapsed = l ? (Date.now() - l.startedAt) / 1000 : 0;
    if (l?.modelId === model.id) return Math.max(1, Math.ceil(loadSec(model) - elapsed));
    const before = l ? Math.max(0, loadSec(this.catalog().find((m) => m.id === l.modelId) ?? model) - elapsed) : 0;
    return Math.max(1, Math.ceil(loadSec(model) + before));
  }

  /** Resolves once `model` serves. Rejects with a 503 (Retry-After) when its queue is full or the wait passes
   *  maxWaitSec, with the load's failure when it fails, and with the signal's reason when the client leaves.
   *  `priority` is the client's (higher is served first). Resolves with how long the request waited (ms). */
  acquire(model: CatalogEntry, signal: AbortSignal, priority = 0): Promise<number> {
    if (this.serving(model.id)) return Promise.resolve(0);
    const cfg = this.ctx.config.get();
    const max = model.queueMax ?? cfg.queueMax;
    const q = this.queues.get(model.id) ?? [];
    if (q.length >= max) {
      this.stat(model.id).refused++;
      this.ctx.events.emit('vllm.ondemand.refused', { modelId: model.id, queued: q.length, queueMax: max });
      return Promise.reject(new SparkError('VLLM_QUEUE_FULL', `${max} request(s) already wait for ${model.servedName} to load; try again later`, { status: 503, retryAfter: this.etaSec(model), details: { model: model.id, queued: q.length } }));
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    const maxWaitSec = model.maxWaitSec ?? cfg.maxWaitSec;
    return new Promise<number>((resolve, reject) => {
      const since = Date.now();
      const w: Waiter = {
        modelId: model.id, since, priority,
        resolve: () => {
          const waited = Date.now() - since;
          this.stat(model.id).lastWaitMs = waited;
          this.ctx.metrics.observe('ondemand_wait_ms', 'How long a request waited for its model to load (ms)', { model: model.id }, waited);
          resolve(waited);
        },
        reject,
        cleanup: () => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); },
      };
      const leave = () => { w.cleanup(); const list = this.queues.get(model.id); const i = list?.indexOf(w) ?? -1; if (i >= 0) list!.splice(i, 1); };
      const timer = setTimeout(() => {
        leave();
        this.stat(model.id).timeouts++;
        this.ctx.events.emit('vllm.ondemand.timeout', { modelId: model.id, waitedMs: Date.now() - since });
        reject(new SparkError('VLLM_LOAD_WAIT_TIMEOUT', `${model.servedName} did not become ready within ${maxWaitSec} s (it goes on loading); try again later`, { status: 503, retryAfter: this.etaSec(model), details: { model: model.id } }));
      }, maxWaitSec * 1000);
      const onAbort = () => { leave(); reject(signal.reason); };
      signal.addEventListener('abort', onAbort, { once: true });
      q.push(w);
      this.queues.set(model.id, q);
      this.ctx.events.emit('vllm.ondemand.queued', { modelId: model.id, queued: q.length });
      void this.loop();
    });
  }

  private stat(modelId: string) {
    let s = this.stats.get(modelId);
    if (!s) this.stats.set(modelId, (s = { loads: 0, failedLoads: 0, timeouts: 0, refused: 0, lastWaitMs: null }));
    return s;
  }

  /** The last request for the model, or when it started serving (ms): the idle clock and the LRU order. */
  lastUseOf(modelId: string): number {
    return Math.max(this.lastUsed.get(modelId) ?? 0, Date.parse(this.residency.holding(modelId)?.active?.since ?? '') || 0);
  }

  private settle(modelId: string, error?: unknown) {
    const q = (this.queues.get(modelId) ?? []).sort(servedBefore);
    this.queues.delete(modelId);
    for (const w of q) { w.cleanup(); if (error) w.reject(error); else w.resolve(); }
  }

  /** One decision at a time; an arrival during a decision asks for another round. */
  private async loop(): Promise<void> {
    if (this.looping) { this.again = true; return; }
    this.looping = true;
    try {
      do { this.again = false; await this.step(); } while (this.again);
    } catch (e) {
      this.ctx.log.warn('on-demand scheduling failed', { error: (e as Error).message });
    } finally {
      this.looping = false;
    }
  }

  private async step(): Promise<void> {
    // A swap or unload under way (ours or the owner's, in any slot): decide once it ended.
    const busy = this.residency.busyJobId;
    if (busy) {
      await this.ctx.jobs.wait(busy).catch(() => undefined);
      await this.residency.untilCleared(busy);
      this.again = true;
      return;
    }
    for (const id of [...this.queues.keys()]) if (this.serving(id)) this.settle(id);
    // Released waiters forward (and count as in flight) before anything else is decided.
    await new Promise((r) => setImmediate(r));
    const next = this.nextModelId();
    if (!next) return;
    const model = this.catalog().find((m) => m.id === next);
    if (!model) return this.settle(next, new SparkError('VLLM_UNKNOWN_MODEL', `${next} was removed from the catalog`, { status: 404 }));
    const placement = await this.residency.place(model);
    if (!placement.ok) return this.settle(next, Residency.refusal(model, placement));
    const slot = this.residency.slot(placement.slot)!;
    // What goes: the slot's own model (its swap stops it) and the evicted ones. Each served long enough first, and
    // its requests in flight (new ones included) finish first, bounded.
    const leaving = [...placement.evict.map((e) => this.residency.slot(e.slot)!), ...(slot.active && slot.active.modelId !== next ? [slot] : [])];
    if (leaving.length) {
      const cfg = this.ctx.config.get();
      const residentUntil = Math.max(...leaving.map((s) => (Date.parse(s.active?.since ?? '') || 0) + cfg.minResidencySec * 1000));
      if (Date.now() < residentUntil) { await delay(residentUntil - Date.now()); this.again = true; return; }
      for (const s of leaving) if (s.inflight.size) await s.inflight.drain(cfg.drainTimeoutSec * 1000, new AbortController().signal);
      if (this.queued(next) === 0 || this.residency.busyJobId) { this.again = true; return; }
    }
    for (const e of placement.evict) {
      if (!(await this.residency.evict(this.residency.slot(e.slot)!, e.action, model))) { this.again = true; return; }
    }
    // The model sleeps in its container: wake it; if that fails, a cold start in its slot (the swap stops it first).
    if (slot.active?.modelId === next && slot.active.asleep) {
      const woke = await this.runLoad(model, 'wake', () => slot.wakeServed('a request names it'), next);
      if (!woke.ok) {
        this.ctx.log.warn('waking the model failed; starting it cold', { modelId: model.id, error: woke.why });
        await this.runLoad(model, 'cold', () => slot.start(model.id, { reason: `request (wake failed: ${woke.why})` }), next, woke.why);
      }
      this.again = true;
      return;
    }
    // `from`: the model this slot's swap replaces (the ones evicted from other slots have their own events).
    await this.runLoad(model, 'cold', () => slot.start(model.id, { reason: 'request' }), slot.active?.modelId ?? null);
    this.again = true;
  }

  /** The model whose first waiter (by priority, then wait) comes before every other model's. */
  private nextModelId(): string | undefined {
    let best: Waiter | undefined;
    for (const q of this.queues.values()) for (const w of q) if (!best || servedBefore(w, best) < 0) best = w;
    return best?.modelId;
  }

  /** Runs one load (a swap, or a wake) for the model's waiters: released when it succeeds; on failure a wake leaves
   *  them waiting for the cold start that follows, a cold start fails them. */
  private async runLoad(model: CatalogEntry, kind: 'cold' | 'wake', begin: () => { id: string }, from: string | null, wakeError?: string): Promise<{ ok: boolean; why?: string }> {
    let jobId: string;
    try {
      jobId = begin().id;
    } catch (e) {
      // The owner started a swap in between: decide again after it.
      if ((e as SparkError).code === 'VLLM_SWAP_IN_PROGRESS') return { ok: true };
      this.settle(model.id, e);
      return { ok: true };
    }
    this.loading = { modelId: model.id, jobId, startedAt: Date.now() };
    this.ctx.events.emit('vllm.ondemand.load', { modelId: model.id, jobId, kind, from, queued: this.queued(model.id), ...(wakeError ? { wakeError } : {}) });
    const s = await this.ctx.jobs.wait(jobId);
    await this.residency.untilCleared(jobId);
    const seconds = (Date.now() - this.loading.startedAt) / 1000;
    this.loading = undefined;
    if (s.state === 'succeeded') {
      this.stat(model.id).loads++;
      this.ctx.events.emit('vllm.ondemand.loaded', { modelId: model.id, jobId, kind, seconds });
      this.settle(model.id);
      return { ok: true };
    }
    const why = s.error?.message ?? s.state;
    this.ctx.events.emit('vllm.ondemand.failed', { modelId: model.id, jobId, kind, error: why });
    if (kind === 'wake') return { ok: false, why };
    this.stat(model.id).failedLoads++;
    this.settle(model.id, new SparkError('VLLM_LOAD_FAILED', `loading ${model.servedName} failed: ${why}${wakeError ? ` (after waking it failed: ${wakeError})` : ''}`, { status: 503, retryAfter: this.etaSec(model), details: { model: model.id, job: jobId, phase: s.error?.phase ?? s.phase } }));
    return { ok: false, why };
  }

  /** Unloads a served model once it had no request for its idleTtlSec (and nobody waits for anything). */
  private unloadIfIdle(): void {
    if (this.looping || this.residency.running) return;
    for (const slot of this.residency.slots) this.unloadSlotIfIdle(slot);
  }

  private unloadSlotIfIdle(slot: SwapController): void {
    const active = slot.active;
    if (!active || active.asleep || slot.running || this.residency.running || slot.inflight.size) return;
    const model = this.catalog().find((m) => m.id === active.modelId);
    if (!model?.idleTtlSec) return;
    const idleMs = Date.now() - this.lastUseOf(model.id);
    if (idleMs < model.idleTtlSec * 1000) return;
    try {
      const why = `idle for ${Math.round(idleMs / 1000)} s`;
      // A model launched with sleep mode sleeps (it wakes in about a second); any other stops.
      const job = model.sleep ? slot.sleepServed(why, model.sleepLevel ?? 2) : slot.unload(why);
      this.ctx.events.emit('vllm.ondemand.idle', { modelId: model.id, jobId: job.id, idleSec: Math.round(idleMs / 1000), action: model.sleep ? 'sleep' : 'stop' });
      // A sleep that failed (launched before sleep was turned on, say): stop it instead of trying again every second.
      if (model.sleep) {
        void this.ctx.jobs.wait(job.id).then((s) => {
          if (s.state === 'succeeded' || slot.running || slot.active?.modelId !== model.id) return;
          this.ctx.log.warn('the idle model could not sleep; stopping it', { modelId: model.id, error: s.error?.message });
          try { slot.unload(`${why}; sleep failed: ${s.error?.message ?? s.state}`); } catch { /* something else started meanwhile */ }
        });
      }
    } catch (e) {
      this.ctx.log.warn('could not unload the idle model', { modelId: model.id, error: (e as Error).message });
    }
  }
}
