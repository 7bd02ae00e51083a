import { z } from 'zod';
import { SparkError, jobSnapshotSchema, type PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from '../config.js';
import type { VllmCoordinator } from '../coordinator.js';
import { MAX_SLOTS } from '../swap/slot.js';
import { residencyResponse, residencyStatus } from './status.js';

const slotParams = z.object({ slot: z.coerce.number().int().min(1).max(MAX_SLOTS) });

/** GET /residency (the memory bar's figures) and stopping one slot's model (the owner making room by hand). */
export function registerResidencyRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator): void {
  const { residency, onDemand } = vllm;
  ctx.routes.add({ method: 'GET', path: '/residency', summary: 'Models sharing the Sparks: per Spark its memory budget, the services\' reservations and what each resident model holds (awake or asleep); the serving slots', response: residencyResponse }, () => residencyStatus(residency, onDemand, vllm.catalog()));
  ctx.routes.add({ method: 'POST', path: '/residency/slots/:slot/stop', params: slotParams, summary: 'Stop the model a serving slot holds (its container confirmed gone)', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
    const slot = residency.slot(c.params.slot);
    if (!slot) throw new SparkError('VLLM_NO_SUCH_SLOT', `slot ${c.params.slot} is not in use (maxResident is ${residency.slots.length})`, { status: 404, details: { field: 'slot' } });
    c.status(202);
    return slot.unload('stopped by the owner');
  });
}
