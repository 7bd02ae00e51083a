/**
 * The vLLM plugin's model swap, as the coordinator, the residency arbiter, the on-demand scheduler, the chat point and the routes see it: one
 * swap at a time (rolling back when asked), cancel, and what is served now. A thin coordinator: planning is in
 * plan.ts, the phases in machine.ts (readiness.ts for the wait), the record in state.ts, restarts and takeovers in
 * recovery.ts, unload/sleep/wake in sideJobs.ts, events and webhooks in events.ts.
 */
import { SparkError, type JobSnapshot, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import { swapTimeoutMs, type CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { VllmSwapHooks } from '../hooks.js';
import type { InflightRequests } from '../inflight.js';
import type { LaunchNodes } from '../launch.js';
import type { SwapDeps } from './deps.js';
import { SwapEvents } from './events.js';
import { JobSsh } from './jobSsh.js';
import { LogTail } from './logTail.js';
import { runSwap, settleSwap } from './machine.js';
import { SWAP_PHASES } from './phases.js';
import { SwapPlan } from './plan.js';
import * as recovery from './recovery.js';
import * as sideJobs from './sideJobs.js';
import type { SwapSharing } from './sharing.js';
import { slotConfig, slotOf } from './slot.js';
import { SwapState, type ActiveModel, type LostModel, type SwapJobRecord } from './state.js';

export { SWAP_PHASES } from './phases.js';
export type { ActiveModel, LostModel } from './state.js';

/** The model swap: one at a time, every phase visible, cancellable, persisted so a restart never forgets it. */
export class SwapController {
  private readonly state: SwapState;
  private readonly plan: SwapPlan;
  private readonly d: SwapDeps;

  constructor(
    private readonly ctx: PluginContext<VllmConfig>, hooks: VllmSwapHooks, private readonly catalog: () => CatalogEntry[], inflight: InflightRequests,
    /** The fit estimate's sentence for a model, logged in preflight so a later out-of-memory failure has its likely cause
     *  next to it. Advisory: an estimate never blocks a swap. */
    fitOf?: (model: CatalogEntry) => Promise<string>,
    /** Which serving slot this controller runs (slot.ts; 1 unless models share the Sparks), and what it asks of the
     *  residency arbiter when they do. */
    opts: { slot?: number; sharing?: SwapSharing } = {},
  ) {
    this.slot = opts.slot ?? 1;
    this.inflight = inflight;
    const slot = this.slot;
    const plan = new SwapPlan(ctx, slot);
    this.plan = plan;
    this.state = new SwapState(ctx, slotOf(ctx.config.get(), slot).storeKey);
    this.d = { ctx, cfg: () => slotConfig(ctx.config.get(), slot), sharing: opts.sharing, hooks, catalog, inflight, fitOf, state: this.state, plan, ssh: new JobSsh(ctx, () => plan.hostId()), events: new SwapEvents(ctx), logTail: new LogTail() };
  }

  /** The serving slot (1 is the one Spark Control always had). */
  readonly slot: number;
  /** Requests this slot's model is answering (a swap or sleep of it drains them first). */
  readonly inflight: InflightRequests;
  /** The container this slot's model runs in. */
  get container(): string { return this.d.cfg().containerName; }
  /** The model's measured footprint from its last load in this slot (bytes, and asleep when measured). */
  footprintOf(modelId: string): { bytes: number; at: string; sleepingBytes?: number } | undefined { return this.state.record.footprints?.[modelId]; }

  get active(): ActiveModel | null { return this.state.record.active; }
  get lost(): LostModel | null { return this.state.record.lost ?? null; }
  lastLoadSeconds(modelId: string): number | undefined { return this.state.record.loads?.[modelId]?.seconds; }
  get running(): boolean { return this.state.running; }
  /** The swap or unload job running now, for whoever must wait until it ends. */
  get busyJobId(): string | undefined { return this.state.busyJobId; }
  get lastJob(): SwapJobRecord { return this.state.runningJob ? this.state.snapshotOf(this.state.runningJob) : this.state.record.job; }

  /** Resolves once no swap-state write is pending (the plugin stopping must not leave a write racing its exit). */
  flush(): Promise<void> {
    return this.state.flush();
  }

  upstream(): UpstreamRef { return this.plan.upstream(); }
  nodesFor(model: CatalogEntry): LaunchNodes { return this.plan.nodesFor(model); }
  allNodes(): LaunchNodes { return this.plan.allNodes(); }
  plannedNodes(model: CatalogEntry): LaunchNodes | undefined { return this.plan.plannedNodes(model); }

  start(modelId: string, opts: { rollback?: boolean; rollbackOf?: string; reason?: string } = {}): JobSnapshot {
    if (this.state.sideJob) throw new SparkError('VLLM_SWAP_IN_PROGRESS', 'the served model is being unloaded, put to sleep or woken; try again in a moment', { status: 409 });
    if (this.state.runningJob) {
      const j = this.ctx.jobs.get(this.state.runningJob);
      throw new SparkError('VLLM_SWAP_IN_PROGRESS', `a swap is already running (${j?.meta?.modelId ?? '?'}, phase ${j?.phase ?? '?'})`, { status: 409, details: { job: j ? { id: j.id, phase: j.phase, modelId: j.meta?.modelId } : undefined } });
    }
    const model = this.catalog().find((m) => m.id === modelId);
    if (!model) throw new SparkError('VLLM_UNKNOWN_MODEL', `no model ${modelId} in the catalog`, { status: 404, details: { field: 'model' } });
    const timeoutMs = swapTimeoutMs(model);
    // The model to go back to if this swap fails (a rollback itself never rolls back: no loops).
    const previous = opts.rollback && !opts.rollbackOf && this.state.record.active?.modelId !== model.id ? this.state.record.active?.modelId : undefined;
    const snap = this.ctx.jobs.start({
      kind: 'vllm.swap', title: opts.rollbackOf ? `Roll back to ${model.name}` : `Swap to ${model.name}`, phases: SWAP_PHASES, timeoutMs, logTailLines: 300,
      meta: { modelId: model.id, servedName: model.servedName, expectedLoadMinutes: model.expectedLoadMinutes, ...(previous ? { rollbackTo: previous } : {}), ...(opts.rollbackOf ? { rollbackOf: opts.rollbackOf } : {}), ...(opts.reason ? { reason: opts.reason } : {}) },
      run: (job) => runSwap(this.d, job, model),
    });
    this.state.runningJob = snap.id;
    void this.state.persist();
    void settleSwap(this.d, snap.id, model).then((s) => {
      // A failed swap leaves nothing served; go back to what served before (not after a cancel: the owner chose).
      if (s?.state === 'failed' && previous) {
        try {
          const back = this.start(previous, { rollbackOf: s.id });
          this.ctx.log.warn('swap failed; rolling back to the previous model', { failed: model.id, previous, job: back.id });
          this.d.events.emit('rollback', { jobId: back.id, failedJobId: s.id, modelId: previous, failedModelId: model.id });
        } catch (e) {
          this.ctx.log.warn('could not roll back to the previous model', { previous, error: (e as Error).message });
        }
      }
    });
    return snap;
  }

  /** Stops the served model without starting another (an idle model's unload). */
  unload(reason: string): JobSnapshot { return sideJobs.unload(this.d, reason); }
  /** Puts the served model (launched with sleep mode) to sleep: its process, port and container stay. */
  sleepServed(reason: string, level: 1 | 2): JobSnapshot { return sideJobs.sleepServed(this.d, reason, level); }
  /** Wakes the sleeping served model and checks it answers. */
  wakeServed(reason: string): JobSnapshot { return sideJobs.wakeServed(this.d, reason); }
  /** After a restart: vLLM's word on whether the served model sleeps replaces the record's. */
  syncSleepState(): Promise<void> { return sideJobs.syncSleepState(this.d); }

  /** Measured time of the last wake of each model. */
  lastWakeMs(modelId: string): number | undefined { return this.state.record.wakes?.[modelId]?.ms; }
  /** When those were measured (ISO). */
  loadedAt(modelId: string): string | undefined { return this.state.record.loads?.[modelId]?.at; }
  wokeAt(modelId: string): string | undefined { return this.state.record.wakes?.[modelId]?.at; }

  cancel(): JobSnapshot {
    if (!this.state.runningJob) throw new SparkError('VLLM_NO_SWAP', 'no swap is running', { status: 409 });
    this.ctx.jobs.cancel(this.state.runningJob, 'cancelled by user');
    return this.ctx.jobs.get(this.state.runningJob)!;
  }

  /** A model this Spark Control did not start that vLLM serves becomes the active model. */
  adoptRunning(signal: AbortSignal = AbortSignal.timeout(10_000)): Promise<ActiveModel | undefined> { return recovery.adoptRunning(this.d, signal); }
  /** The workers of the active model whose rank is not running (empty for a one-Spark model). */
  workersDown(signal: AbortSignal): Promise<Array<{ hostId: string; why: string }>> { return recovery.workersDown(this.d, signal); }
  /** The health check could not reach the served model: if its container is gone, record and announce it once. */
  noticeUnreachable(): Promise<LostModel | undefined> { return recovery.noticeUnreachable(this.d); }
  /** After a restart of Spark Control: re-attach to a swap that was running, or report it — never forget it. */
  recover(): Promise<void> { return recovery.recover(this.d); }
}
