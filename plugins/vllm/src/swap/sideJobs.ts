/**
 * Jobs that change the served model's state without a launch: unload (the swap's own stop, nothing started after),
 * sleep and wake (vLLM sleep mode, onDemand/sleepMode.ts), and, after a restart, taking vLLM's word on whether the
 * model sleeps. One at a time and never during a swap; the last swap's record stays as it was.
 */
import { SparkError, type JobHandle, type JobSnapshot } from '@spark-control/plugin-api';
import { isSleeping, putToSleep, wakeUp } from '../onDemand/sleepMode.js';
import type { SwapDeps } from './deps.js';
import { availableNow, gb } from './memory.js';
import { stopServed } from './machine.js';
import { canary } from './readiness.js';
import type { ActiveModel } from './state.js';

/** A job that changes the served model's state without a launch (unload, sleep, wake): one at a time and never
 *  during a swap; the last swap's record stays as it was. */
function runSide(d: SwapDeps, kind: string, title: string, phases: string[], meta: Record<string, unknown>, run: (job: JobHandle, active: ActiveModel) => Promise<unknown>): JobSnapshot {
  const active = d.state.record.active;
  if (d.state.running) throw new SparkError('VLLM_SWAP_IN_PROGRESS', 'a swap, unload, sleep or wake is already running', { status: 409 });
  if (!active) throw new SparkError('VLLM_NOTHING_SERVED', 'no model is being served', { status: 409 });
  const cfg = d.cfg();
  const snap = d.ctx.jobs.start({
    kind, title, phases, timeoutMs: (cfg.drainTimeoutSec + cfg.stopTimeoutSec * 2 + 120) * 1000,
    meta: { modelId: active.modelId, servedName: active.servedName, ...meta },
    run: (job) => run(job, active),
  });
  d.state.sideJob = snap.id;
  void d.ctx.jobs.wait(snap.id).then((s) => {
    d.state.sideJob = undefined;
    if (s.state !== 'succeeded') d.ctx.log.warn(`${kind} of the served model failed`, { modelId: active.modelId, error: s.error?.message });
  });
  return snap;
}

/** Stops the served model without starting another (an idle model's unload): the swap's own stop (drain, stop,
 *  container confirmed gone). */
export function unload(d: SwapDeps, reason: string): JobSnapshot {
  return runSide(d, 'vllm.unload', `Unload ${d.state.record.active?.servedName ?? ''} (${reason})`, ['stop', 'stopped'], { reason }, async (job, active) => {
    job.phase('stop');
    await stopServed(d, job);
    await d.state.persist();
    job.phase('stopped');
    d.events.emit('unloaded', { jobId: job.id, modelId: active.modelId, servedName: active.servedName, reason });
    return { modelId: active.modelId };
  });
}

/** Puts the served model (launched with sleep mode) to sleep: its process, port and container stay. */
export function sleepServed(d: SwapDeps, reason: string, level: 1 | 2): JobSnapshot {
  return runSide(d, 'vllm.sleep', `Sleep ${d.state.record.active?.servedName ?? ''} (${reason})`, ['drain', 'sleep', 'asleep'], { reason, level }, async (job, active) => {
    job.phase('drain');
    const cfg = d.cfg();
    if (d.inflight.size) await d.inflight.drain(cfg.drainTimeoutSec * 1000, job.signal);
    job.phase('sleep');
    const before = d.cfg().maxResident > 1 ? await availableNow(d, job) : undefined;
    const t0 = Date.now();
    await putToSleep(d.ctx, d.plan.upstream(), level, job.signal);
    d.state.record.active = { ...active, asleep: { since: new Date().toISOString(), level } };
    await recordSleepingFootprint(d, job, active.modelId, before);
    await d.state.persist();
    job.phase('asleep');
    job.log(`asleep at level ${level} after ${Date.now() - t0} ms`);
    d.events.emit('asleep', { jobId: job.id, modelId: active.modelId, servedName: active.servedName, level, reason });
  });
}

/** Less than this asleep is not a measurement (see recordSleepingFootprint). */
const MIN_SLEEPING_BYTES = 0.5e9;
/** At most this many reads, half a second apart, for the memory a sleep gave back to show. */
const SETTLE_READS = 10;


/** What the model still holds asleep: its measured footprint less what the sleep gave back. Unified memory comes back
 *  within moments of the answer; the most available seen over a few seconds (read every half second, until two reads
 *  agree after a rise) is the figure. A sleep that seems to give back almost nothing, or nearly everything, is the
 *  host's own memory moving meanwhile: not taken as a measurement. */
async function recordSleepingFootprint(d: SwapDeps, job: JobHandle, modelId: string, before: number | undefined): Promise<void> {
  const awake = d.state.record.footprints?.[modelId];
  // Measured only where the arbiter counts it (models sharing the Sparks): the settle costs the sleep a moment.
  if (before === undefined || !awake || d.cfg().maxResident <= 1) return;
  let best = before;
  let last: number | undefined;
  for (let i = 0; i < SETTLE_READS; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await availableNow(d, job);
    if (now === undefined) return;
    best = Math.max(best, now);
    // Settled: risen by something, and the same as the read before (within 1%).
    if (best - before > 0.05 * awake.bytes && last !== undefined && Math.abs(now - last) < 0.01 * awake.bytes) break;
    last = now;
  }
  const gaveBack = Math.max(0, best - before);
  const sleepingBytes = Math.max(0, awake.bytes - gaveBack);
  if (sleepingBytes < MIN_SLEEPING_BYTES || gaveBack < 0.05 * awake.bytes) { job.log('the memory given back could not be told apart from the Spark\'s own; keeping the default sleeping footprint'); return; }
  d.state.record.footprints = { ...d.state.record.footprints, [modelId]: { ...awake, sleepingBytes } };
  job.log(`asleep it holds ${gb(sleepingBytes)} (gave back ${gb(gaveBack)})`);
}

/** Wakes the sleeping served model and checks it answers (one streamed token); throws naming the step that failed. */
export function wakeServed(d: SwapDeps, reason: string): JobSnapshot {
  return runSide(d, 'vllm.wake', `Wake ${d.state.record.active?.servedName ?? ''} (${reason})`, ['wake', 'completion', 'active'], { reason }, async (job, active) => {
    const level = active.asleep?.level ?? 2;
    const t0 = Date.now();
    job.phase('wake');
    await wakeUp(d.ctx, d.plan.upstream(), level, job.signal, (l) => job.log(l));
    job.phase('completion');
    if (!(await canary(d.ctx, d.plan.upstream(), active.servedName, job.signal))) throw new SparkError('VLLM_WAKE_FAILED', `${active.servedName} woke but did not answer a one-token completion`, { status: 502 });
    const { asleep: _was, ...awake } = active;
    d.state.record.active = { ...awake, since: new Date().toISOString() };
    d.state.record.wakes = { ...d.state.record.wakes, [active.modelId]: { ms: Date.now() - t0, at: new Date().toISOString() } };
    await d.state.persist();
    job.phase('active');
    job.log(`awake and answering after ${Date.now() - t0} ms`);
    d.events.emit('woke', { jobId: job.id, modelId: active.modelId, servedName: active.servedName, ms: Date.now() - t0 });
  });
}

/** After a restart: a sleep or wake that was cut short leaves swap.json and vLLM disagreeing; vLLM's /is_sleeping
 *  says which it is (a model without sleep mode has no such endpoint and stays as recorded). */
export async function syncSleepState(d: SwapDeps): Promise<void> {
  const active = d.state.record.active;
  if (!active || d.state.running || !d.catalog().find((m) => m.id === active.modelId)?.sleep) return;
  const sleeping = await isSleeping(d.ctx, d.plan.upstream(), AbortSignal.timeout(5000)).catch(() => undefined);
  if (sleeping === undefined || sleeping === !!active.asleep || d.state.record.active !== active) return;
  const { asleep: _was, ...awake } = active;
  d.state.record.active = sleeping ? { ...active, asleep: { since: new Date().toISOString(), level: d.catalog().find((m) => m.id === active.modelId)?.sleepLevel ?? 2 } } : awake;
  d.ctx.log.info('the served model\'s sleep state differed from the record; vLLM\'s word taken', { modelId: active.modelId, sleeping });
  await d.state.persist();
}
