/**
 * The owner's swap when models share the Sparks: "serve this model" becomes one job that plans where it goes, makes
 * room (the least recently used sleep, then stop; pinned never) and then starts it in its slot or wakes it there —
 * instead of slot 1's swap stopping whatever it serves and waiting for memory the other slots hold.
 */
import { SparkError, type JobSnapshot, type PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { Residency } from './residency.js';

export const LOAD_PHASES = ['plan', 'evict', 'load', 'serving'];

export function startSharedLoad(ctx: PluginContext<VllmConfig>, residency: Residency, model: CatalogEntry, reason: string): JobSnapshot {
  if (residency.running) throw new SparkError('VLLM_SWAP_IN_PROGRESS', 'a swap, unload, sleep or wake is already running in a slot; try again in a moment', { status: 409 });
  return ctx.jobs.start({
    kind: 'vllm.load', title: `Load ${model.name} beside the others`, phases: LOAD_PHASES, timeoutMs: 4 * 3600_000,
    meta: { modelId: model.id, servedName: model.servedName, reason },
    run: async (job) => {
      job.phase('plan');
      const p = await residency.place(model);
      if (!p.ok) throw Residency.refusal(model, p);
      const slot = residency.slot(p.slot)!;
      job.log(`slot ${slot.slot} (${slot.container})${p.evict.length ? `; making room: ${p.evict.map((e) => `${e.modelId} ${e.action === 'sleep' ? 'sleeps' : 'stops'}`).join(', ')}` : ''}`);
      job.phase('evict');
      for (const e of p.evict) {
        if (!(await residency.evict(residency.slot(e.slot)!, e.action, model))) {
          throw new SparkError('VLLM_EVICT_FAILED', `could not make room: ${e.modelId} did not ${e.action}`, { status: 409 });
        }
      }
      job.phase('load');
      if (slot.active?.modelId === model.id && !slot.active.asleep) return { modelId: model.id, slot: slot.slot, already: true };
      const inner = slot.active?.modelId === model.id ? slot.wakeServed(reason) : slot.start(model.id, { reason });
      job.log(`${inner.kind} job ${inner.id}`);
      // Cancelling the load (the tile's Cancel, POST /api/jobs/<id>/cancel) cancels the slot's job it waits for.
      const cancelInner = () => ctx.jobs.cancel(inner.id, 'the load was cancelled');
      job.signal.addEventListener('abort', cancelInner, { once: true });
      const s = await ctx.jobs.wait(inner.id).finally(() => job.signal.removeEventListener('abort', cancelInner));
      if (s.state !== 'succeeded') throw new SparkError('VLLM_LOAD_FAILED', `loading ${model.servedName} failed: ${s.error?.message ?? s.state}`, { status: 502, details: { job: inner.id } });
      job.phase('serving');
      return { modelId: model.id, slot: slot.slot, job: inner.id };
    },
  });
}
