import type { PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { startSharedLoad } from '../residency/loadJob.js';
import type { Residency } from '../residency/residency.js';

/** At boot, after taking over what the Sparks already run: with one model at a time, load the preload list's models in
 *  order until one serves (the first that loads is the one); with models sharing the Sparks, load each that is not
 *  resident yet, in order, as long as it fits beside the ones before it without evicting them (a preload never makes
 *  room by stopping another preloaded model). */
export async function preloadAtBoot(ctx: PluginContext<VllmConfig>, residency: Residency, catalog: () => CatalogEntry[]): Promise<void> {
  const ids = ctx.config.get().preload;
  if (!ids.length) return;
  for (const s of residency.slots) await s.adoptRunning().catch(() => undefined);
  const swap = residency.primary;
  for (const id of ids) {
    const model = catalog().find((m) => m.id === id);
    if (!model) { ctx.log.warn('preload: no such model in the catalog', { modelId: id }); continue; }
    try {
      if (!residency.shared) {
        if (swap.active || swap.running) return;
        const s = await ctx.jobs.wait(swap.start(id, { reason: 'preload' }).id);
        if (s.state === 'succeeded') return;
        ctx.log.warn('preload: the model did not load', { modelId: id, error: s.error?.message });
        continue;
      }
      if (residency.holding(id)) continue;
      const p = await residency.place(model);
      if (!p.ok || p.evict.length) { ctx.log.warn('preload: the model does not fit beside the ones loaded before it', { modelId: id }); continue; }
      const s = await ctx.jobs.wait(startSharedLoad(ctx, residency, model, 'preload').id);
      if (s.state !== 'succeeded') ctx.log.warn('preload: the model did not load', { modelId: id, error: s.error?.message });
    } catch (e) {
      ctx.log.warn('preload: could not start the model', { modelId: id, error: (e as Error).message });
    }
  }
}
