/**
 * The residency arbiter: which serving slots hold which models, what each Spark's memory budget is, what every model
 * holds of it, and where the next load goes (placement.ts). With maxResident 1 it is the one slot Spark Control always
 * had and no budget is consulted; above 1, loads that fit run side by side and the least recently used make room.
 */
import { SparkError, type PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { argValue } from '../fit.js';
import { memInfoCommand, memTotalBytes } from '../launch.js';
import { gb } from '../swap/memory.js';
import type { SwapController } from '../swap.js';
import type { SwapSharing } from '../swap/sharing.js';
import { planPlacement, type Placement, type Resident } from './placement.js';

const GB = 1e9;
/** What a level-2 sleep keeps when nothing was measured: the process, its CUDA context and graphs. */
export const DEFAULT_SLEEPING_BYTES = 3 * GB;
const MEMTOTAL_TTL_MS = 60_000;
const ESTIMATE_TTL_MS = 10 * 60_000;

/** The --gpu-memory-utilization that gives a model `bytes` of a Spark of `memTotal` (rounded up to 0.001, as vLLM takes
 *  a fraction of the total), within what vLLM accepts. */
export const launchShare = (bytes: number, memTotal: number): number => Math.min(0.95, Math.max(0.01, Math.ceil((bytes / memTotal) * 1000) / 1000));

export type FootprintSource = 'launch' | 'args' | 'memoryGB' | 'measured' | 'estimate' | 'whole-spark';

export interface Footprint { bytes: number; sleepingBytes: number; source: FootprintSource }

export interface ResidencyDeps {
  ctx: PluginContext<VllmConfig>;
  /** Every slot's controller, slot 1 first (as many as MAX_SLOTS). */
  slots: SwapController[];
  catalog: () => CatalogEntry[];
  /** When a model was last asked for (ms), for least-recently-used order. */
  lastUsed: (modelId: string) => number;
  /** The fit estimate's need per Spark (weights, KV cache for its context, working memory), when known. */
  estimate: (model: CatalogEntry) => Promise<number | undefined>;
}

export class Residency {
  private readonly memTotals = new Map<string, { bytes: number; at: number }>();
  private readonly estimates = new Map<string, { bytes: number | undefined; at: number }>();

  constructor(private readonly d: ResidencyDeps) {}

  /** Models share the Sparks (maxResident > 1). */
  get shared(): boolean { return this.d.ctx.config.get().maxResident > 1; }
  /** The slots in use: as many as maxResident. */
  get slots(): SwapController[] { return this.d.slots.slice(0, this.d.ctx.config.get().maxResident); }
  get primary(): SwapController { return this.d.slots[0]; }

  /** The slot whose model is `modelId` (awake or asleep). */
  holding(modelId: string): SwapController | undefined { return this.slots.find((s) => s.active?.modelId === modelId); }
  /** The slot answering for `modelId` now (awake, no swap or side job under way in it). */
  serving(modelId: string): SwapController | undefined { return this.slots.find((s) => s.active?.modelId === modelId && !s.active.asleep && !s.running); }
  /** The slot numbered `n` (among those in use). */
  slot(n: number): SwapController | undefined { return this.slots.find((s) => s.slot === n); }

  /** Resolves once no slot names `jobId` as its running job any more: a swap or side job's slot lets go of it a turn
   *  or two after the job ended (its record is written first). */
  async untilCleared(jobId: string): Promise<void> {
    for (let i = 0; this.d.slots.some((s) => s.busyJobId === jobId); i++) await new Promise((r) => (i < 50 ? setImmediate(r) : setTimeout(r, 10)));
  }

  /** The swap or side job running in any slot. */
  get busyJobId(): string | undefined { return this.slots.map((s) => s.busyJobId).find(Boolean); }
  get running(): boolean { return this.slots.some((s) => s.running); }

  /** The model's measured cold load time, from whichever slot loaded it last. */
  lastLoadSeconds(modelId: string): number | undefined { return this.latest((s) => s.lastLoadSeconds(modelId) === undefined ? undefined : { v: s.lastLoadSeconds(modelId)!, at: s.loadedAt(modelId) }); }
  lastWakeMs(modelId: string): number | undefined { return this.latest((s) => s.lastWakeMs(modelId) === undefined ? undefined : { v: s.lastWakeMs(modelId)!, at: s.wokeAt(modelId) }); }

  private latest(f: (s: SwapController) => { v: number; at: string | undefined } | undefined): number | undefined {
    let best: { v: number; at: string | undefined } | undefined;
    for (const s of this.d.slots) {
      const x = f(s);
      if (x && (!best || (x.at ?? '') > (best.at ?? ''))) best = x;
    }
    return best?.v;
  }

  /** MemTotal of a Spark, asked over SSH at most once a minute. */
  async memTotal(hostId: string): Promise<number> {
    const c = this.memTotals.get(hostId);
    if (c && Date.now() - c.at < MEMTOTAL_TTL_MS) return c.bytes;
    const bytes = memTotalBytes((await this.d.ctx.ssh.exec(hostId, memInfoCommand(), { timeoutMs: 10_000 })).stdout);
    if (bytes === undefined) throw new SparkError('VLLM_MEMORY_UNKNOWN', `could not read the memory size of ${hostId} (/proc/meminfo)`, { status: 502, details: { host: hostId } });
    this.memTotals.set(hostId, { bytes, at: Date.now() });
    return bytes;
  }

  /** The services on this Spark that declare what they hold (speech, embeddings…), in bytes. */
  reservations(hostId: string): Array<{ service: string; plugin: string; bytes: number }> {
    return this.d.ctx.cluster.memoryReservations().filter((r) => r.hostId === hostId).map((r) => ({ service: r.service, plugin: r.plugin, bytes: Math.round(r.memoryGB * GB) }));
  }

  /** What served models may hold on this Spark: memoryBudgetGB, else MemTotal less osReserveGB; less the services' share. */
  async budgetBytes(hostId: string): Promise<{ total: number; memTotal: number; reserved: number; models: number }> {
    const cfg = this.d.ctx.config.get();
    const memTotal = await this.memTotal(hostId);
    const total = cfg.memoryBudgetGB !== null ? Math.round(cfg.memoryBudgetGB * GB) : Math.max(0, memTotal - Math.round(cfg.osReserveGB * GB));
    const reserved = this.reservations(hostId).reduce((n, r) => n + r.bytes, 0);
    return { total, memTotal, reserved, models: Math.max(0, total - reserved) };
  }

  /** What the model holds per Spark when loaded: its own --gpu-memory-utilization, its memoryGB, its measured peak, the
   *  fit estimate, else the 90% of the Spark vLLM takes by default (which leaves room for nothing beside it). */
  async footprint(model: CatalogEntry, hostId: string): Promise<Footprint> {
    const memTotal = await this.memTotal(hostId);
    const measured = this.measured(model.id);
    const sleepingBytes = model.sleep ? (measured?.sleepingBytes ?? DEFAULT_SLEEPING_BYTES) : 0;
    const util = Number(argValue(model.args, '--gpu-memory-utilization'));
    if (util > 0 && util <= 1) return { bytes: Math.round(util * memTotal), sleepingBytes, source: 'args' };
    if (model.memoryGB) return { bytes: Math.round(model.memoryGB * GB), sleepingBytes, source: 'memoryGB' };
    if (measured) return { bytes: measured.bytes, sleepingBytes, source: 'measured' };
    const est = await this.cachedEstimate(model);
    if (est) return { bytes: est, sleepingBytes, source: 'estimate' };
    return { bytes: Math.round(0.9 * memTotal), sleepingBytes, source: 'whole-spark' };
  }

  private measured(modelId: string): { bytes: number; sleepingBytes?: number } | undefined {
    let best: { bytes: number; at: string; sleepingBytes?: number } | undefined;
    for (const s of this.d.slots) {
      const f = s.footprintOf(modelId);
      if (f && (!best || f.at > best.at)) best = f;
    }
    return best;
  }

  private async cachedEstimate(model: CatalogEntry): Promise<number | undefined> {
    const c = this.estimates.get(model.id);
    if (c && Date.now() - c.at < ESTIMATE_TTL_MS) return c.bytes;
    const bytes = await this.d.estimate(model).catch(() => undefined);
    this.estimates.set(model.id, { bytes, at: Date.now() });
    return bytes;
  }

  /** The Sparks a model holds memory on: the head, and for tensor parallel its workers. */
  hostsOf(model: CatalogEntry): string[] {
    const n = this.primary.plannedNodes(model);
    return n ? [n.head.hostId, ...n.workers.map((w) => w.hostId)] : [this.primary.upstream().hostId!];
  }

  /** What a slot's model holds: the share it was launched with (whatever the catalog says now), else its footprint. */
  async heldBy(s: SwapController, model: CatalogEntry | undefined, hostId: string): Promise<Footprint> {
    const util = s.active?.gpuMemoryUtilization;
    const f = model ? await this.footprint(model, hostId) : { bytes: Math.round(0.9 * (await this.memTotal(hostId))), sleepingBytes: 0, source: 'whole-spark' as const };
    return util ? { ...f, bytes: Math.round(util * (await this.memTotal(hostId))), source: 'launch' } : f;
  }

  /** Every slot holding a model, as the placement counts it. */
  async residents(): Promise<Resident[]> {
    const out: Resident[] = [];
    for (const s of this.slots) {
      const a = s.active;
      if (!a) continue;
      const model = this.d.catalog().find((m) => m.id === a.modelId);
      const hosts = a.nodes ?? [s.upstream().hostId!];
      const f = await this.heldBy(s, model, hosts[0]);
      out.push({ slot: s.slot, modelId: a.modelId, hosts, awakeBytes: f.bytes, sleepingBytes: f.sleepingBytes, asleep: !!a.asleep, canSleep: !!model?.sleep, pinned: !!model?.pinned, lastUsedAt: Math.max(this.d.lastUsed(a.modelId), Date.parse(a.since) || 0) });
    }
    return out;
  }

  /** Where `model` loads and what makes room for it. With one slot: that slot, nothing evicted (its swap stops what it
   *  serves). A model already holding a slot stays in it. */
  async place(model: CatalogEntry): Promise<Placement> {
    const holder = this.holding(model.id);
    if (holder && (!holder.active?.asleep || !this.shared)) return { ok: true, slot: holder.slot, evict: [] };
    if (!this.shared) return { ok: true, slot: 1, evict: [] };
    const hosts = this.hostsOf(model);
    const budgets = new Map<string, number>();
    for (const h of hosts) budgets.set(h, (await this.budgetBytes(h)).models);
    // What it will hold once launched: the share it is launched with, rounded up (its own argument is exact already).
    const f = await this.footprint(model, hosts[0]);
    const memTotal = await this.memTotal(hosts[0]);
    const need = f.source === 'args' ? f.bytes : Math.round(launchShare(f.bytes, memTotal) * memTotal);
    // A sleeping model wakes in its own slot: its sleeping share becomes its whole footprint.
    const residents = (await this.residents()).filter((r) => r.slot !== holder?.slot);
    const freeSlots = holder ? [holder.slot] : this.slots.filter((s) => !s.active && !s.running).map((s) => s.slot);
    return planPlacement({ needBytes: need, hosts, budgetBytes: (h) => budgets.get(h) ?? 0, residents, freeSlots });
  }

  /** Makes room for `forModel`: the slot's model sleeps or stops (a sleep that fails stops it); resolves false when
   *  that did not happen (something else runs in the slot: decide again). */
  async evict(s: SwapController, action: 'sleep' | 'stop', forModel: CatalogEntry): Promise<boolean> {
    const { ctx } = this.d;
    const victim = s.active;
    if (!victim) return true;
    const model = this.d.catalog().find((m) => m.id === victim.modelId);
    const why = `making room for ${forModel.servedName}`;
    let job;
    try {
      job = action === 'sleep' && !victim.asleep ? s.sleepServed(why, model?.sleepLevel ?? 2) : s.unload(why);
    } catch (e) {
      ctx.log.warn('could not make room', { modelId: victim.modelId, action, error: (e as Error).message });
      return false;
    }
    // Counted on /metrics from this event (onDemand/metrics.ts), with the switches of one slot.
    ctx.events.emit('vllm.ondemand.evicted', { modelId: victim.modelId, slot: s.slot, action, for: forModel.id, jobId: job.id });
    const st = await ctx.jobs.wait(job.id);
    await this.untilCleared(job.id);
    if (st.state === 'succeeded') return true;
    if (action === 'sleep') return this.evict(s, 'stop', forModel);
    return false;
  }

  /** The refusal a blocked placement becomes: 409 naming the pinned models in the way, or the model that never fits. */
  static refusal(model: CatalogEntry, p: Extract<Placement, { ok: false }>): SparkError {
    if (p.reason === 'too-large') return new SparkError('VLLM_OVER_BUDGET', `${model.servedName} needs more than the whole memory budget of ${p.hostId} (${gb(p.shortBytes)} over): lower its memoryGB or --max-model-len, or raise memoryBudgetGB`, { status: 409, details: { model: model.id, host: p.hostId } });
    return new SparkError('VLLM_PINNED_IN_THE_WAY', `${model.servedName} does not fit on ${p.hostId} beside the pinned model(s) ${p.blockedBy.join(', ')} (${gb(p.shortBytes)} short); unpin one or stop it`, { status: 409, details: { model: model.id, host: p.hostId, pinned: p.blockedBy } });
  }

  /** What a slot's swap asks of the arbiter when models share the Sparks. */
  sharingFor(): SwapSharing {
    return {
      needBytes: async (model) => (this.shared ? (await this.footprint(model, this.hostsOf(model)[0])).bytes : undefined),
      serveArgs: async (model) => {
        if (!this.shared || argValue(model.args, '--gpu-memory-utilization') !== undefined) return [];
        const host = this.hostsOf(model)[0];
        return ['--gpu-memory-utilization', String(launchShare((await this.footprint(model, host)).bytes, await this.memTotal(host)))];
      },
    };
  }
}
