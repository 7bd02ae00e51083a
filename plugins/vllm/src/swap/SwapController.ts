import { z } from 'zod';
import { SparkError, type JobSnapshot, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import { swapTimeoutMs, type CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { containerExistsCommand, containerStatus, processAliveCommand, processStatus, stopCommand, workerStopCommand, type LaunchNodes } from '../launch.js';
import type { VllmSwapHooks } from '../hooks.js';
import type { InflightRequests } from '../inflight.js';
import { SwapEvents } from './events.js';
import { LogTail } from './logTail.js';
import { JobSsh } from './jobSsh.js';
import { SwapPlan, nodesField } from './plan.js';
import { enterPhase, SWAP_PHASES } from './phases.js';
import { vllmVersion, waitReady } from './readiness.js';
import type { SwapDeps } from './deps.js';
import { runSwap, settleSwap } from './machine.js';
import * as sideJobs from './sideJobs.js';
import { SwapState, type ActiveModel, type LostModel, type SwapJobRecord } from './state.js';

export { SWAP_PHASES } from './phases.js';

export type { ActiveModel, LostModel } from './state.js';

/** The model swap: one at a time, every phase visible, cancellable, persisted so a restart never forgets it. */
export class SwapController {
  private readonly state: SwapState;
  private readonly plan: SwapPlan;
  private readonly ssh: JobSsh;
  private readonly events: SwapEvents;
  /** One for the controller: a failed launch's last tail continues from the readiness wait's. */
  private readonly logTail = new LogTail();
  private readonly d: SwapDeps;

  constructor(
    private readonly ctx: PluginContext<VllmConfig>, private readonly hooks: VllmSwapHooks, private readonly catalog: () => CatalogEntry[], private readonly inflight: InflightRequests,
    /** The fit estimate's sentence for a model, logged in preflight so a later out-of-memory failure has its likely cause
     *  next to it. Advisory: an estimate never blocks a swap. */
    private readonly fitOf?: (model: CatalogEntry) => Promise<string>,
  ) {
    this.plan = new SwapPlan(ctx);
    this.ssh = new JobSsh(ctx, () => this.plan.hostId());
    this.state = new SwapState(ctx);
    this.events = new SwapEvents(ctx);
    this.d = { ctx, hooks, catalog, inflight, fitOf, state: this.state, plan: this.plan, ssh: this.ssh, events: this.events, logTail: this.logTail };
  }

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
          this.events.emit('rollback', { jobId: back.id, failedJobId: s.id, modelId: previous, failedModelId: model.id });
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

  cancel(): JobSnapshot {
    if (!this.state.runningJob) throw new SparkError('VLLM_NO_SWAP', 'no swap is running', { status: 409 });
    this.ctx.jobs.cancel(this.state.runningJob, 'cancelled by user');
    return this.ctx.jobs.get(this.state.runningJob)!;
  }

  /** A model this Spark Control did not start (already running at its first start, or started by hand): when vLLM
   *  answers with a catalog model, that is the active model. Without this the tile would say "no model" while one
   *  serves, and the next swap would not know what it stops. */
  async adoptRunning(signal: AbortSignal = AbortSignal.timeout(10_000)): Promise<ActiveModel | undefined> {
    if (this.state.record.active || this.state.runningJob) return undefined;
    const list = await this.ctx.http.fetchJson(this.upstream(), '/v1/models', z.object({ data: z.array(z.object({ id: z.string() })) }), { timeoutMs: 5000, signal }).catch(() => undefined);
    const model = this.catalog().find((c) => list?.data.some((d) => d.id === c.servedName));
    if (!model || this.state.record.active || this.state.runningJob) return undefined;
    // A tensor-parallel model runs on its workers too: recorded, so the next swap stops their containers as well.
    const active: ActiveModel = { modelId: model.id, servedName: model.servedName, since: new Date().toISOString(), vllmVersion: await vllmVersion(this.d, signal), ...nodesField(this.plan.plannedNodes(model)) };
    this.state.record.active = active;
    this.state.record.lost = null;
    await this.state.persist();
    this.ctx.log.info('took over the model that was already being served', { modelId: model.id, servedName: model.servedName });
    this.ctx.events.emit('vllm.model.adopted', active);
    return active;
  }

  /** The workers of the active model whose rank is not running (or cannot be asked): the head may go on answering
   *  for minutes until NCCL gives up, so the health check names them first. Empty for a one-Spark model. */
  async workersDown(signal: AbortSignal): Promise<Array<{ hostId: string; why: string }>> {
    const workers = (this.state.record.active?.nodes ?? []).filter((h) => h !== this.plan.hostId());
    const cfg = this.ctx.config.get();
    const down: Array<{ hostId: string; why: string }> = [];
    for (const w of workers) {
      const r = await this.ctx.ssh.exec(w, processAliveCommand(cfg), { timeoutMs: 2000, signal }).then((x) => processStatus(x.stdout), (e) => `unreachable (${(e as Error).message})`);
      if (r !== 'alive') down.push({ hostId: w, why: r === 'dead' ? 'its rank is not running' : r });
    }
    return down;
  }

  /** The health check could not reach the served model. If its container is gone, the model did not stop through a
   *  swap (crash, OOM kill, stopped by hand): record and announce it once. Never restarted blindly — the owner decides. */
  async noticeUnreachable(): Promise<LostModel | undefined> {
    const active = this.state.record.active;
    if (!active || this.state.runningJob) return undefined;
    const st = containerStatus((await this.ctx.ssh.exec(this.plan.hostId(), containerExistsCommand(this.ctx.config.get()), { timeoutMs: 10_000 })).stdout);
    if (st === 'running' || this.state.record.active !== active || this.state.runningJob) return undefined;
    const lost = { modelId: active.modelId, servedName: active.servedName, at: new Date().toISOString(), container: st };
    this.state.record.active = null;
    this.state.record.lost = lost;
    await this.state.persist();
    this.ctx.log.warn('the served model stopped without a swap', { modelId: lost.modelId, container: st });
    this.ctx.events.emit('vllm.model.lost', lost);
    return lost;
  }

  /** After a restart of Spark Control: re-attach to a swap that was running, or report it — never forget it. */
  async recover(): Promise<void> {
    const j = this.state.record.job;
    if (!j || j.endedAt || j.state !== 'running') return;
    this.ctx.log.info('found a swap that was running when Spark Control stopped', { modelId: j.modelId, phase: j.phase });
    const model = this.catalog().find((m) => m.id === j.modelId);
    const cfg = this.ctx.config.get();
    const out = await this.ctx.ssh.exec(this.plan.hostId(), containerExistsCommand(cfg), { timeoutMs: 15_000 }).catch(() => undefined);
    const exists = out && containerStatus(out.stdout);
    const interrupted = { ...j, state: 'failed' as const, endedAt: new Date().toISOString(), error: { code: 'VLLM_SWAP_INTERRUPTED', message: `Spark Control restarted during the swap (phase ${j.phase ?? '?'}).`, phase: j.phase } };
    if (!model || exists !== 'running' || !['launch', 'process', 'health', 'models', 'completion'].includes(j.phase ?? '')) {
      this.state.record.job = interrupted;
      // Killed between the stop of the old model and the next persist, swap.json still names the old model as
      // active although its container is gone: don't keep claiming it (found by tests/reliability/kill-during-swap).
      if (exists !== undefined && exists !== 'running') this.state.record.active = null;
      await this.state.persist();
      this.events.emit('failed', { jobId: j.id, modelId: j.modelId, phase: j.phase, error: interrupted.error });
      return;
    }
    // The container is up and was loading: follow its readiness in a new job.
    const snap = this.ctx.jobs.start({
      kind: 'vllm.swap', title: `Swap to ${model.name} (re-attached after restart)`, phases: SWAP_PHASES, timeoutMs: swapTimeoutMs(model),
      meta: { modelId: model.id, servedName: model.servedName, reattachedFrom: j.id },
      run: async (job) => {
        job.log(`re-attached to the swap started at ${j.startedAt}`);
        // The Sparks it was launched on (the configuration may have changed since: then the head alone is followed).
        const nodes = this.plan.plannedNodes(model);
        try {
          await waitReady(this.d, job, model, nodes);
        } catch (e) {
          await this.ctx.ssh.exec(this.plan.hostId(), stopCommand(cfg), { timeoutMs: 60_000 }).catch(() => {});
          for (const w of nodes?.workers ?? []) await this.ctx.ssh.exec(w.hostId, workerStopCommand(cfg), { timeoutMs: 60_000 }).catch(() => {});
          throw e;
        }
        enterPhase(this.d, job, 'active');
        this.state.record.active = { modelId: model.id, servedName: model.servedName, since: new Date().toISOString(), ...nodesField(nodes) };
        return this.state.record.active;
      },
    });
    this.state.runningJob = snap.id;
    void settleSwap(this.d, snap.id, model);
  }
}
