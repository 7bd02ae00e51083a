/**
 * The swap itself, phase by phase: preflight and the beforeSwap veto, stop the served model (drain, stop, container
 * confirmed gone on every Spark), wait for memory to settle, launch, wait until it answers, record it as active; on a
 * failure keep the evidence and stop what was started. And what happens when a swap job ends (record, announce).
 */
import { SparkError, type JobHandle, type JobSnapshot } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { availableMemoryBytes, availableMemoryPct, containerExistsCommand, containerStatus, isAlive, launchCommand, logTailCommand, memInfoCommand, processAliveCommand, stopCommand, workerStopCommand, type LaunchNodes } from '../launch.js';
import { argValue, DEFAULT_GPU_MEMORY_UTILIZATION } from '../fit.js';
import { delay } from './delay.js';
import { availableNow, gb } from './memory.js';
import type { SwapDeps } from './deps.js';
import { TRANSIENT_SSH, sessionLost } from './jobSsh.js';
import { enterPhase } from './phases.js';
import { nodesField } from './plan.js';
import { vllmVersion, waitReady } from './readiness.js';
import type { ActiveModel } from './state.js';

/** One swap job, phase by phase; a failure after the launch stops what it started (no blind restart). */
export async function runSwap(d: SwapDeps, job: JobHandle, model: CatalogEntry): Promise<ActiveModel> {
  const cfg = d.cfg();
  const port = d.plan.endpoint().port;
  let launched = false;
  /** Workers of this launch: a failure stops their containers too. */
  let launchWorkers: string[] = [];
  d.events.emit('started', { jobId: job.id, modelId: model.id });
  try {
    // preflight: the model is there, and nobody vetoes.
    enterPhase(d, job, 'preflight');
    const nodes = await d.plan.preflight(d.ssh, job, model);
    launchWorkers = nodes.workers.map((w) => w.hostId);
    if (d.fitOf) {
      const fit = await d.fitOf(model).catch(() => undefined);
      if (fit) job.log(`estimate: ${fit}`);
    }
    const veto = await d.hooks.beforeSwap.promise({ modelId: model.id, servedName: model.servedName, from: d.state.record.active?.modelId ?? null });
    if (veto) throw new SparkError('VLLM_SWAP_VETOED', `swap refused: ${veto.reason}`, { status: 409 });

    // stop: let running chats finish first (bounded), then stop the model and confirm its container is gone.
    enterPhase(d, job, 'stop');
    await stopServed(d, job, nodes);

    // memory settle: unified memory comes back slowly after a model unloads.
    enterPhase(d, job, 'memory');
    const availableBefore = await waitForMemory(d, job, cfg, nodes, await d.sharing?.needBytes(model));

    // launch: dispatched detached; exit 0 means dispatched, not ready.
    enterPhase(d, job, 'launch');
    // From here a container may exist even if the dispatch is cut short (cancel, timeout, lost session): any failure
    // stops it. Stopping when nothing was started is harmless (the launcher's stop exits 0).
    launched = true;
    const extra = (await d.sharing?.serveArgs(model)) ?? [];
    await dispatchLaunch(d, job, cfg, model, port, nodes, extra);
    const launchedAt = Date.now();

    await waitReady(d, job, model, nodes);
    await recordFootprint(d, job, model.id, availableBefore);
    enterPhase(d, job, 'active');
    // The share of memory it was launched with (what it holds whatever the catalog says later): its own argument, the
    // one sized for it beside others, else vLLM's default.
    const util = Number(argValue([...extra, ...model.args], '--gpu-memory-utilization') ?? DEFAULT_GPU_MEMORY_UTILIZATION);
    const active: ActiveModel = { modelId: model.id, servedName: model.servedName, since: new Date().toISOString(), vllmVersion: await vllmVersion(d, job.signal), ...nodesField(nodes), ...(util > 0 && util <= 1 ? { gpuMemoryUtilization: util } : {}) };
    d.state.record.active = active;
    d.state.record.lost = null;
    d.state.record.loads = { ...d.state.record.loads, [model.id]: { seconds: Math.round((Date.now() - launchedAt) / 1000), at: active.since } };
    await d.state.persist();
    await d.hooks.afterSwap.promise({ modelId: model.id, servedName: model.servedName, ok: true }).catch(() => {});
    return active;
  } catch (e) {
    // Spark Control is stopping: leave the model loading; the next start re-attaches (recover()).
    if ((job.signal.reason as { code?: string } | undefined)?.code === 'SPK_PLUGIN_STOPPING') throw e;
    // Keep the evidence, then stop what we started (no blind restart).
    if (launched) await stopFailedLaunch(d, job, cfg, launchWorkers);
    await d.hooks.afterSwap.promise({ modelId: model.id, servedName: model.servedName, ok: false }).catch(() => {});
    throw e;
  }
}

/** Memory settle: unified memory comes back slowly after a model unloads; waits on every Spark of the launch until
 *  memoryFloorPct of it is available — or, when models share the Sparks, until what this launch needs (`needBytes`)
 *  is — or fails naming the Spark after memorySettleTimeoutSec. Resolves with the head's available bytes. */
async function waitForMemory(d: SwapDeps, job: JobHandle, cfg: VllmConfig, nodes: LaunchNodes, needBytes?: number): Promise<number | undefined> {
  const memDeadline = Date.now() + cfg.memorySettleTimeoutSec * 1000;
  let headAvailable: number | undefined;
  for (const n of [nodes.head, ...nodes.workers]) {
    const where = nodes.workers.length ? ` on ${n.hostId}` : '';
    for (;;) {
      const out = (await d.ssh.exec(job, memInfoCommand(), 30_000, n.hostId)).stdout;
      const pct = availableMemoryPct(out);
      const bytes = availableMemoryBytes(out);
      if (n === nodes.head) headAvailable = bytes;
      const enough = needBytes !== undefined && bytes !== undefined ? bytes >= needBytes : pct >= cfg.memoryFloorPct;
      if (enough) { job.log(`memory settled${where}: ${pct.toFixed(0)}% available${needBytes !== undefined && bytes !== undefined ? ` (${gb(bytes)}, the launch needs ${gb(needBytes)})` : ''}`); break; }
      if (Date.now() > memDeadline) {
        throw new SparkError('VLLM_MEMORY_NOT_FREED', needBytes !== undefined && bytes !== undefined
          ? `only ${gb(bytes)} of memory is available${where} (the launch needs ${gb(needBytes)}) after ${cfg.memorySettleTimeoutSec} s`
          : `only ${pct.toFixed(0)}% of memory is available${where} (need ${cfg.memoryFloorPct}%) after ${cfg.memorySettleTimeoutSec} s`, { status: 503, details: { host: n.hostId } });
      }
      await delay(cfg.readinessPollMs, job.signal);
    }
  }
  return headAvailable;
}

/** The memory the model holds now that it answers: the head's MemAvailable before the launch less now, recorded as
 *  the model's measured footprint (what the arbiter counts the next time it plans a load). */
async function recordFootprint(d: SwapDeps, job: JobHandle, modelId: string, before: number | undefined): Promise<void> {
  if (before === undefined) return;
  const after = await availableNow(d, job);
  if (after === undefined || before - after <= 0) return;
  const prev = d.state.record.footprints?.[modelId];
  d.state.record.footprints = { ...d.state.record.footprints, [modelId]: { ...prev, bytes: before - after, at: new Date().toISOString() } };
  job.log(`the model holds ${gb(before - after)} of memory`);
}

/** Runs the launcher (detached: exit 0 means dispatched, not ready). A session lost while it ran is checked once SSH is
 *  back, and the launch repeated only if `vllm serve` was not dispatched. Throws when the launcher failed. */
async function dispatchLaunch(d: SwapDeps, job: JobHandle, cfg: VllmConfig, model: CatalogEntry, port: number, nodes: LaunchNodes, extra: string[]): Promise<void> {
  let l = await d.ssh.exec(job, launchCommand(cfg, model, port, nodes, extra), 120_000).catch((e) => {
    if (job.signal.aborted || !TRANSIENT_SSH.has((e as SparkError).code)) throw e;
    return { stdout: '', stderr: '', code: null, durationMs: 0 };
  });
  if (sessionLost(l)) {
    // The session dropped while the launcher ran: once SSH is back, see whether `vllm serve` was dispatched;
    // launch again only if it was not (the launcher skips `docker run` when the container already runs).
    job.log(`SSH to ${d.plan.hostId()} dropped while the launcher ran; checking what was dispatched`);
    const alive = isAlive((await d.ssh.ridingOut(job, processAliveCommand(cfg))).stdout);
    l = alive ? { stdout: 'the launch had been dispatched before the session dropped', stderr: '', code: 0, durationMs: 0 } : await d.ssh.ridingOut(job, launchCommand(cfg, model, port, nodes, extra), 120_000);
  }
  for (const line of (l.stdout + l.stderr).split('\n').filter(Boolean)) job.log(line);
  if (l.code !== 0) throw new SparkError('VLLM_LAUNCH_FAILED', `the launcher exited ${l.code}: ${(l.stderr || l.stdout).trim().split('\n').pop()?.slice(0, 200) ?? ''}`, { status: 502 });
}

/** After a failed or cancelled launch: keep the evidence (the log's last lines), then stop the container on the head
 *  and on each worker, saying so where a stop could not be done (the next swap's stop removes it). */
async function stopFailedLaunch(d: SwapDeps, job: JobHandle, cfg: VllmConfig, launchWorkers: string[]): Promise<void> {
  const tail = await d.ctx.ssh.exec(d.plan.hostId(), logTailCommand(cfg, 200), { timeoutMs: 15_000 }).catch(() => undefined);
  if (tail) d.logTail.append(job, tail.stdout);
  const stopped = await d.ctx.ssh.exec(d.plan.hostId(), stopCommand(cfg), { timeoutMs: 60_000 }).then(() => true, (se) => {
    // Say so instead of claiming it stopped (SSH may be down right now); the next swap's stop phase removes it.
    job.log(`could not stop the container on ${d.plan.hostId()} (${(se as Error).message}); the next swap stops it`);
    return false;
  });
  if (stopped) job.log('stopped the failed/cancelled container');
  for (const w of launchWorkers) {
    const tailW = await d.ctx.ssh.exec(w, logTailCommand(cfg, 40), { timeoutMs: 15_000 }).catch(() => undefined);
    if (tailW?.stdout.trim()) for (const line of tailW.stdout.trim().split('\n')) job.log(`[${w}] ${line}`);
    await d.ctx.ssh.exec(w, workerStopCommand(cfg), { timeoutMs: 60_000 }).then(
      () => job.log(`stopped the container on ${w}`),
      (se) => job.log(`could not stop the container on ${w} (${(se as Error).message}); the next swap stops it`),
    );
  }
}

/** Lets running chats finish first (bounded), then the launcher's stop, which exits 0 at once; the --rm container
 *  disappears asynchronously, so this waits until it is gone on every Spark (a stop is confirmed before the next
 *  start). `nodes`: the Sparks a launch that follows needs (their containers of that name go too). */
export async function stopServed(d: SwapDeps, job: JobHandle, nodes?: LaunchNodes): Promise<void> {
  const cfg = d.cfg();
  if (d.inflight.size) {
    job.log(`waiting up to ${cfg.drainTimeoutSec} s for ${d.inflight.size} request(s) in flight to finish`);
    const left = await d.inflight.drain(cfg.drainTimeoutSec * 1000, job.signal);
    job.log(left ? `${left} request(s) still open; they end when the model stops` : 'requests in flight finished');
  }
  await d.ssh.exec(job, stopCommand(cfg), cfg.stopTimeoutSec * 1000);
  // A worker of the previous launch, or a Spark this launch needs, may hold a container of that name too.
  const workerHosts = d.plan.workerHostsFor(d.state.record.active?.nodes, nodes);
  for (const w of workerHosts) {
    job.log(`stopping ${cfg.containerName} on ${w}`);
    await d.ssh.exec(job, workerStopCommand(cfg), cfg.stopTimeoutSec * 1000, w);
  }
  d.state.record.active = null;
  const stopDeadline = Date.now() + cfg.stopTimeoutSec * 1000;
  for (const h of [d.plan.hostId(), ...workerHosts]) {
    for (;;) {
      const st = containerStatus((await d.ssh.exec(job, containerExistsCommand(cfg), 30_000, h)).stdout);
      if (st === 'absent') break;
      if (Date.now() > stopDeadline) throw new SparkError('VLLM_STOP_TIMEOUT', `the old container ${cfg.containerName} is still there on ${h} (${st}) after ${cfg.stopTimeoutSec} s`, { status: 504, details: { host: h } });
      await delay(Math.min(cfg.readinessPollMs, 500), job.signal);
    }
  }
  job.log(`previous model stopped; container gone${workerHosts.length ? ` on ${[d.plan.hostId(), ...workerHosts].join(' and ')}` : ''}`);
}

/** When a swap job ends: record it (swap.json), tell listeners (active / cancelled / failed) and resolve with it;
 *  undefined when Spark Control itself is stopping (the record stays "running" so the next start re-attaches). */
export async function settleSwap(d: SwapDeps, jobId: string, model: CatalogEntry): Promise<JobSnapshot | undefined> {
  const s = await d.ctx.jobs.wait(jobId);
  d.state.runningJob = undefined;
  if (s.error?.code === 'SPK_PLUGIN_STOPPING') return undefined;
  d.state.record.job = { id: s.id, state: s.state, phase: s.phase, startedAt: s.startedAt, endedAt: s.endedAt, error: s.error, logTail: s.logTail.slice(-200), modelId: model.id };
  await d.state.persist().catch(() => {});
  if (s.state === 'succeeded') d.events.emit('active', { jobId: s.id, modelId: model.id, servedName: model.servedName });
  else d.events.emit(s.state === 'cancelled' ? 'cancelled' : 'failed', { jobId: s.id, modelId: model.id, phase: s.phase, error: s.error });
  return s;
}
