import { randomUUID } from 'node:crypto';
import type { JobHandle, JobSnapshot, Logger, OneOffJobSpec, ScheduledJobSpec } from '../../api/types.js';
import { isSparkError, SparkError } from '../../api/errors.js';
import type { EventBusImpl } from '../events/EventBus.js';

interface LiveJob {
  snap: JobSnapshot;
  ac: AbortController;
  done: Promise<JobSnapshot>;
  tailMax: number;
}

const KEEP_FINISHED = 50;

/** One-off jobs (phases, progress, log tail, cancel, hard cap) and scheduled jobs (never overlapping themselves). */
export class JobRegistry {
  private readonly jobs = new Map<string, LiveJob>();

  constructor(private readonly events: EventBusImpl, private readonly log: Logger) {}

  private publish(j: LiveJob): void {
    this.events.emit('job.update', { ...j.snap, logTail: j.snap.logTail.slice(-20) }, j.snap.plugin);
  }

  start<R>(plugin: string, spec: OneOffJobSpec<R>): JobSnapshot {
    const id = randomUUID();
    const ac = new AbortController();
    const snap: JobSnapshot = {
      id, plugin, kind: spec.kind, title: spec.title, state: 'running', phases: spec.phases, startedAt: new Date().toISOString(), logTail: [],
      ...(spec.meta ? { meta: { ...spec.meta } } : {}),
    };
    const live: LiveJob = { snap, ac, tailMax: spec.logTailLines ?? 200, done: Promise.resolve(snap) };
    const handle: JobHandle = {
      id,
      signal: ac.signal,
      phase: (name) => {
        snap.phase = name;
        snap.phaseStartedAt = new Date().toISOString();
        this.publish(live);
      },
      progress: (f) => {
        snap.progress = Math.max(0, Math.min(1, f));
        this.publish(live);
      },
      log: (line) => {
        snap.logTail.push(line);
        if (snap.logTail.length > live.tailMax) snap.logTail.splice(0, snap.logTail.length - live.tailMax);
        this.events.emit('job.log', { id, line }, plugin);
      },
      setMeta: (m) => {
        snap.meta = { ...(snap.meta ?? {}), ...m };
        this.publish(live);
      },
    };
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeoutMs) {
      timer = setTimeout(() => ac.abort(new SparkError('SPK_JOB_TIMEOUT', `${spec.title} took longer than ${Math.round(spec.timeoutMs! / 1000)} s`, { status: 504 })), spec.timeoutMs);
      timer.unref();
    }
    live.done = (async () => {
      try {
        const result = await spec.run(handle);
        if (ac.signal.aborted) throw ac.signal.reason;
        snap.state = 'succeeded';
        if (result !== undefined) snap.result = result;
      } catch (e) {
        const reason = ac.signal.aborted ? ac.signal.reason : e;
        const cancelled = ac.signal.aborted && (reason as { code?: string })?.code === 'SPK_JOB_CANCELLED';
        snap.state = cancelled ? 'cancelled' : 'failed';
        const err = isSparkError(reason) ? reason : isSparkError(e) ? e : undefined;
        snap.error = { code: err?.code ?? 'SPK_JOB_FAILED', message: err?.message ?? (e as Error)?.message ?? String(e), ...(snap.phase ? { phase: snap.phase } : {}) };
      } finally {
        if (timer) clearTimeout(timer);
        snap.endedAt = new Date().toISOString();
        this.publish(live);
        this.prune();
      }
      return snap;
    })();
    this.jobs.set(id, live);
    this.publish(live);
    return snap;
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.snap.endedAt);
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.snap.id);
  }

  async wait(id: string): Promise<JobSnapshot> {
    const j = this.jobs.get(id);
    if (!j) throw new SparkError('SPK_JOB_NOT_FOUND', `job ${id} not found`, { status: 404 });
    return j.done;
  }

  get(id: string): JobSnapshot | undefined {
    return this.jobs.get(id)?.snap;
  }

  list(filter: { plugin?: string; kind?: string } = {}): JobSnapshot[] {
    return [...this.jobs.values()].map((j) => j.snap).filter((s) => (!filter.plugin || s.plugin === filter.plugin) && (!filter.kind || s.kind === filter.kind));
  }

  cancel(id: string, reason = 'cancelled by user'): boolean {
    const j = this.jobs.get(id);
    if (!j || j.snap.endedAt) return false;
    j.ac.abort(new SparkError('SPK_JOB_CANCELLED', reason, { status: 409 }));
    return true;
  }

  /** The plugin is stopping (restart, shutdown): jobs end with SPK_PLUGIN_STOPPING so they can tell this apart from a
   *  user's cancel and leave remote work running for the next start to pick up. */
  cancelAll(plugin: string): void {
    for (const j of this.jobs.values()) {
      if (j.snap.plugin === plugin && !j.snap.endedAt) j.ac.abort(new SparkError('SPK_PLUGIN_STOPPING', 'Spark Control is stopping this plugin', { status: 503 }));
    }
  }

  /** Scheduled job: runs every `everyMs`, skips a tick while the previous run is still going, aborts on timeout. */
  schedule(plugin: string, spec: ScheduledJobSpec, onStop: (fn: () => void) => void): { trigger(): Promise<void>; stop(): void } {
    let running: Promise<void> | undefined;
    let stopped = false;
    const runOnce = (): Promise<void> => {
      if (running || stopped) return running ?? Promise.resolve();
      const ac = new AbortController();
      const t = spec.timeoutMs ? setTimeout(() => ac.abort(), spec.timeoutMs) : undefined;
      running = spec.run(ac.signal)
        .catch((e) => this.log.warn('scheduled job failed', { plugin, job: spec.name, error: (e as Error).message }))
        .finally(() => { if (t) clearTimeout(t); running = undefined; });
      return running;
    };
    const first = setTimeout(() => void runOnce(), spec.initialDelayMs ?? 0);
    const every = setInterval(() => void runOnce(), spec.everyMs);
    first.unref();
    every.unref();
    const stop = () => { stopped = true; clearTimeout(first); clearInterval(every); };
    onStop(stop);
    return { trigger: runOnce, stop };
  }
}
