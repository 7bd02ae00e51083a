import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { Residency } from '../residency/residency.js';
import { modelState } from './modelList.js';
import { loadsOnRequest } from './resolve.js';
import type { OnDemandScheduler } from './scheduler.js';

/** GET /ondemand: per catalog model, what the dashboard shows — its state, queued requests, the idle countdown, the last
 *  load by kind (cold seconds, wake ms) and the counters since Spark Control started. */
export function onDemandStatus(cfg: VllmConfig, residency: Residency, scheduler: OnDemandScheduler, catalog: CatalogEntry[]) {
  return {
    loadOnRequest: cfg.loadOnRequest, minResidencySec: cfg.minResidencySec, loadingModelId: scheduler.loadingModelId ?? null,
    models: catalog.map((m) => ({
      id: m.id, servedName: m.servedName, state: modelState(m, residency, scheduler), loadOnRequest: loadsOnRequest(m, cfg), sleep: !!m.sleep,
      idleTtlSec: m.idleTtlSec ?? null, idleCountdownSec: scheduler.idleCountdownSec(m),
      lastColdLoadSeconds: residency.lastLoadSeconds(m.id) ?? null, lastWakeMs: residency.lastWakeMs(m.id) ?? null,
      asleepSince: residency.holding(m.id)?.active?.asleep?.since ?? null, slot: residency.holding(m.id)?.slot ?? null,
      ...scheduler.statsOf(m.id),
    })),
  };
}
