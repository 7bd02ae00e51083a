import type { PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { OnDemandScheduler } from './scheduler.js';

/**
 * Loading on request on `/metrics` (as `spark_vllm_ondemand_*`): queue length per model, loads by kind (cold start or
 * wake), failed loads, waits that timed out, requests refused by a full queue, idle unloads by action, and switches
 * away from a resident model (evictions). Counted from the scheduler's own events, so the scheduler stays one concern;
 * the wait time of each released request is observed where it is known (scheduler.acquire).
 */
const EVICTIONS_HELP = 'Resident models switched away from (stopped, or put to sleep to make room) for a request\'s model';

export function onDemandMetrics(ctx: PluginContext<VllmConfig>, scheduler: OnDemandScheduler, catalog: () => CatalogEntry[]): void {
  const m = ctx.metrics;
  m.gauge('ondemand_queued', 'Requests waiting for their model to load, per catalog model', () =>
    catalog().map((e) => [{ model: e.id }, scheduler.queued(e.id)] as [Record<string, string>, number]).filter(([, n]) => n > 0));
  const off = ctx.events.on('vllm.ondemand.', (e) => {
    const d = (e.data ?? {}) as { modelId?: string; kind?: string; from?: string | null; action?: string };
    const model = d.modelId ?? '';
    switch (e.type) {
      case 'vllm.ondemand.loaded': m.inc('ondemand_loads_total', 'Models loaded for a request, by kind (cold start or wake)', { model, kind: d.kind ?? 'cold' }); break;
      case 'vllm.ondemand.failed': m.inc('ondemand_failed_loads_total', 'Loads for a request that failed, by kind', { model, kind: d.kind ?? 'cold' }); break;
      case 'vllm.ondemand.timeout': m.inc('ondemand_wait_timeouts_total', 'Requests that waited their maxWaitSec for a load', { model }); break;
      case 'vllm.ondemand.refused': m.inc('ondemand_refused_total', 'Requests refused because their model\'s queue was full', { model }); break;
      case 'vllm.ondemand.idle': m.inc('ondemand_idle_unloads_total', 'Idle models put to sleep or stopped', { model, action: d.action ?? 'stop' }); break;
      case 'vllm.ondemand.load':
        if (d.from && d.from !== model) m.inc('ondemand_evictions_total', EVICTIONS_HELP, { model: d.from, for: model });
        break;
      // Models sharing the Sparks: a resident model put to sleep or stopped to make room in another slot.
      case 'vllm.ondemand.evicted': m.inc('ondemand_evictions_total', EVICTIONS_HELP, { model, for: (e.data as { for?: string }).for ?? '' }); break;
    }
  });
  ctx.onDispose(off);
}
