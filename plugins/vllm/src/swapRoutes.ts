import { z } from 'zod';
import { type PluginContext, type PluginRouter, jobSnapshotSchema } from '@spark-control/plugin-api';
import type { VllmConfig } from './config.js';
import type { VllmCoordinator } from './coordinator.js';
import { linkSparks } from './linkSparks.js';
import { startSharedLoad } from './residency/loadJob.js';
import { linkResponse, swapCancelResponse, swapStateResponse } from './responses.js';
import { MODEL_ID } from './validators.js';

const swapBody = z.object({
  model: z.string().regex(MODEL_ID, 'must be a model id from the catalog'),
  /** Start the previous model again if this swap fails (default: the rollbackOnFailure setting). */
  rollback: z.boolean().optional(),
});

/** The swap under one base path: its state, start one, cancel it. */
function swapRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator, router: PluginRouter, base: string): void {
  const { swap, residency } = vllm;
  router.add({ method: 'GET', path: base, summary: 'Current or last swap job', response: swapStateResponse }, () => ({
    running: swap.running, active: swap.active, lost: swap.lost, job: swap.lastJob, rollbackOnFailure: ctx.config.get().rollbackOnFailure, shared: residency.shared,
  }));
  router.add({ method: 'POST', path: base, body: swapBody, summary: 'Swap the served model (one at a time); with models sharing the Sparks (maxResident > 1), load it beside the others (a vllm.load job: plan, evict, load)', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
    c.status(202);
    // Models sharing the Sparks: the model loads beside the others, the least recently used making room.
    if (residency.shared) return startSharedLoad(ctx, residency, vllm.modelOr404(c.body.model), 'swap');
    return swap.start(c.body.model, { rollback: c.body.rollback ?? ctx.config.get().rollbackOnFailure });
  });
  router.add({ method: 'POST', path: `${base}/cancel`, summary: 'Cancel the running swap', response: swapCancelResponse }, () => swap.cancel());
}

/** The swap (under the plugin prefix and at /api/swap), and linking the Sparks a launch across Sparks needs. */
export function registerSwapRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator): void {
  swapRoutes(ctx, vllm, ctx.routes, '/swap');
  swapRoutes(ctx, vllm, ctx.publicRoutes('/api/swap'), '');
  // Launches across Sparks need the head's ssh to every other Spark; this sets it up instead of ssh-copy-id by hand.
  ctx.routes.add({ method: 'POST', path: '/link', summary: 'Link Sparks: let the head ssh to every other Spark over the link (its key on each, their pinned host keys in its known_hosts), as launches across Sparks need', response: linkResponse }, (c) =>
    linkSparks(ctx, vllm.swap.allNodes(), c.signal));
}
