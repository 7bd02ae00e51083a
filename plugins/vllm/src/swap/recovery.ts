/**
 * Knowing what serves after the world changed under Spark Control: after a restart, re-attach to a swap that was loading
 * or report it interrupted; take over a model it did not start; notice a served model whose container went away
 * without a swap (recorded and announced once, never restarted blindly); name the workers whose rank is down.
 */
import { z } from 'zod';
import { swapTimeoutMs } from '../catalog.js';
import { containerExistsCommand, containerStatus, processAliveCommand, processStatus, stopCommand, workerStopCommand } from '../launch.js';
import type { SwapDeps } from './deps.js';
import { settleSwap } from './machine.js';
import { enterPhase, SWAP_PHASES } from './phases.js';
import { nodesField } from './plan.js';
import { vllmVersion, waitReady } from './readiness.js';
import type { ActiveModel, LostModel } from './state.js';

/** A model this Spark Control did not start (already running at its first start, or started by hand): when vLLM
 *  answers with a catalog model, that is the active model. Without this the tile would say "no model" while one
 *  serves, and the next swap would not know what it stops. */
export async function adoptRunning(d: SwapDeps, signal: AbortSignal = AbortSignal.timeout(10_000)): Promise<ActiveModel | undefined> {
  if (d.state.record.active || d.state.runningJob) return undefined;
  const list = await d.ctx.http.fetchJson(d.plan.upstream(), '/v1/models', z.object({ data: z.array(z.object({ id: z.string() })) }), { timeoutMs: 5000, signal }).catch(() => undefined);
  const model = d.catalog().find((c) => list?.data.some((m) => m.id === c.servedName));
  if (!model || d.state.record.active || d.state.runningJob) return undefined;
  // A tensor-parallel model runs on its workers too: recorded, so the next swap stops their containers as well.
  const active: ActiveModel = { modelId: model.id, servedName: model.servedName, since: new Date().toISOString(), vllmVersion: await vllmVersion(d, signal), ...nodesField(d.plan.plannedNodes(model)) };
  d.state.record.active = active;
  d.state.record.lost = null;
  await d.state.persist();
  d.ctx.log.info('took over the model that was already being served', { modelId: model.id, servedName: model.servedName });
  d.ctx.events.emit('vllm.model.adopted', active);
  return active;
}

/** The workers of the active model whose rank is not running (or cannot be asked): the head may go on answering
 *  for minutes until NCCL gives up, so the health check names them first. Empty for a one-Spark model. */
export async function workersDown(d: SwapDeps, signal: AbortSignal): Promise<Array<{ hostId: string; why: string }>> {
  const workers = (d.state.record.active?.nodes ?? []).filter((h) => h !== d.plan.hostId());
  const cfg = d.cfg();
  const down: Array<{ hostId: string; why: string }> = [];
  for (const w of workers) {
    const r = await d.ctx.ssh.exec(w, processAliveCommand(cfg), { timeoutMs: 2000, signal }).then((x) => processStatus(x.stdout), (e) => `unreachable (${(e as Error).message})`);
    if (r !== 'alive') down.push({ hostId: w, why: r === 'dead' ? 'its rank is not running' : r });
  }
  return down;
}

/** The health check could not reach the served model. If its container is gone, the model did not stop through a
 *  swap (crash, OOM kill, stopped by hand): record and announce it once. Never restarted blindly — the owner decides. */
export async function noticeUnreachable(d: SwapDeps): Promise<LostModel | undefined> {
  const active = d.state.record.active;
  if (!active || d.state.runningJob) return undefined;
  const st = containerStatus((await d.ctx.ssh.exec(d.plan.hostId(), containerExistsCommand(d.cfg()), { timeoutMs: 10_000 })).stdout);
  if (st === 'running' || d.state.record.active !== active || d.state.runningJob) return undefined;
  const lost = { modelId: active.modelId, servedName: active.servedName, at: new Date().toISOString(), container: st };
  d.state.record.active = null;
  d.state.record.lost = lost;
  await d.state.persist();
  d.ctx.log.warn('the served model stopped without a swap', { modelId: lost.modelId, container: st });
  d.ctx.events.emit('vllm.model.lost', lost);
  return lost;
}

/** After a restart of Spark Control: re-attach to a swap that was running, or report it — never forget it. */
export async function recover(d: SwapDeps): Promise<void> {
  const j = d.state.record.job;
  if (!j || j.endedAt || j.state !== 'running') return;
  d.ctx.log.info('found a swap that was running when Spark Control stopped', { modelId: j.modelId, phase: j.phase });
  const model = d.catalog().find((m) => m.id === j.modelId);
  const cfg = d.cfg();
  const out = await d.ctx.ssh.exec(d.plan.hostId(), containerExistsCommand(cfg), { timeoutMs: 15_000 }).catch(() => undefined);
  const exists = out && containerStatus(out.stdout);
  const interrupted = { ...j, state: 'failed' as const, endedAt: new Date().toISOString(), error: { code: 'VLLM_SWAP_INTERRUPTED', message: `Spark Control restarted during the swap (phase ${j.phase ?? '?'}).`, phase: j.phase } };
  if (!model || exists !== 'running' || !['launch', 'process', 'health', 'models', 'completion'].includes(j.phase ?? '')) {
    d.state.record.job = interrupted;
    // Killed between the stop of the old model and the next persist, swap.json still names the old model as
    // active although its container is gone: don't keep claiming it (found by tests/reliability/kill-during-swap).
    if (exists !== undefined && exists !== 'running') d.state.record.active = null;
    await d.state.persist();
    d.events.emit('failed', { jobId: j.id, modelId: j.modelId, phase: j.phase, error: interrupted.error });
    return;
  }
  // The container is up and was loading: follow its readiness in a new job.
  const snap = d.ctx.jobs.start({
    kind: 'vllm.swap', title: `Swap to ${model.name} (re-attached after restart)`, phases: SWAP_PHASES, timeoutMs: swapTimeoutMs(model),
    meta: { modelId: model.id, servedName: model.servedName, reattachedFrom: j.id },
    run: async (job) => {
      job.log(`re-attached to the swap started at ${j.startedAt}`);
      // The Sparks it was launched on (the configuration may have changed since: then the head alone is followed).
      const nodes = d.plan.plannedNodes(model);
      try {
        await waitReady(d, job, model, nodes);
      } catch (e) {
        await d.ctx.ssh.exec(d.plan.hostId(), stopCommand(cfg), { timeoutMs: 60_000 }).catch(() => {});
        for (const w of nodes?.workers ?? []) await d.ctx.ssh.exec(w.hostId, workerStopCommand(cfg), { timeoutMs: 60_000 }).catch(() => {});
        throw e;
      }
      enterPhase(d, job, 'active');
      d.state.record.active = { modelId: model.id, servedName: model.servedName, since: new Date().toISOString(), ...nodesField(nodes) };
      return d.state.record.active;
    },
  });
  d.state.runningJob = snap.id;
  void settleSwap(d, snap.id, model);
}
