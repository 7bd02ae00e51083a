/**
 * What the swap remembers, and who runs now: the served model, the last swap's job, a model lost without a swap and the
 * measured load and wake times, kept in ctx.store('swap') so a restart never forgets them; and the one swap or side job
 * (unload, sleep, wake) that may run at a time.
 */
import type { JobSnapshot, JsonStore, PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from '../config.js';

export interface ActiveModel {
  modelId: string; servedName: string; since: string; vllmVersion?: string;
  /** The Sparks it runs on, head first (more than one for tensor parallel across Sparks). */
  nodes?: string[];
  /** The --gpu-memory-utilization it was launched with (absent: taken over, not launched by Spark Control). */
  gpuMemoryUtilization?: number;
  /** Put to sleep (vLLM sleep mode): the container and port stay, a request wakes it. */
  asleep?: { since: string; level: 1 | 2 };
}
/** A served model whose container went away without a swap (crash, OOM kill, stopped by hand). */
export interface LostModel { modelId: string; servedName: string; at: string; container: string }
/** The last swap's job as swap.json keeps it. */
export type SwapJobRecord = (Pick<JobSnapshot, 'id' | 'state' | 'phase' | 'startedAt' | 'endedAt' | 'error' | 'logTail'> & { modelId: string }) | null;
export interface SwapRecord {
  active: ActiveModel | null;
  /** Measured launch → answering time of the last successful load of each model, for the swap confirmation. */
  loads?: Record<string, { seconds: number; at: string }>;
  lost?: LostModel | null;
  /** Measured wake time of the last wake of each model. */
  wakes?: Record<string, { ms: number; at: string }>;
  /** Measured memory each model held once loaded (MemAvailable before the launch less after it answered), and asleep. */
  footprints?: Record<string, { bytes: number; at: string; sleepingBytes?: number }>;
  job: SwapJobRecord }

export class SwapState {
  record: SwapRecord = { active: null, job: null };
  /** The swap job running now (a launch, or one re-attached after a restart). */
  runningJob?: string;
  /** The unload, sleep or wake job running now. */
  sideJob?: string;
  /** swap.json: version 0 was the plain object the controller wrote before the kernel's store existed. */
  private readonly store: JsonStore<SwapRecord>;

  constructor(private readonly ctx: PluginContext<VllmConfig>, storeKey = 'swap') {
    this.store = ctx.store<SwapRecord>(storeKey, { version: 1, migrate: (data) => data as SwapRecord });
    try { this.record = this.store.read() ?? this.record; } catch (e) { ctx.log.warn('swap state unreadable; starting without it', { error: (e as Error).message }); }
  }

  get running(): boolean { return !!this.runningJob || !!this.sideJob; }
  /** The swap or unload job running now, for whoever must wait until it ends. */
  get busyJobId(): string | undefined { return this.runningJob ?? this.sideJob; }

  snapshotOf(id: string): SwapJobRecord {
    const s = this.ctx.jobs.get(id);
    if (!s) return this.record.job;
    return { id: s.id, state: s.state, phase: s.phase, startedAt: s.startedAt, endedAt: s.endedAt, error: s.error, logTail: s.logTail.slice(-200), modelId: String(s.meta?.modelId ?? '') };
  }

  /** Saves the state as it is now (the store writes atomically, one write at a time, in call order). */
  persist(): Promise<void> {
    if (this.runningJob) this.record.job = this.snapshotOf(this.runningJob);
    return this.store.write(this.record).catch((e: unknown) => this.ctx.log.warn('could not save the swap state', { error: (e as Error).message }));
  }

  /** Resolves once no swap-state write is pending (the plugin stopping must not leave a write racing its exit). */
  flush(): Promise<void> {
    return this.store.flush();
  }
}
