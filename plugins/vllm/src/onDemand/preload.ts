import type { PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { SwapController } from '../swap.js';

/** At boot: when nothing is served (after taking over what the Spark already runs), load the preload list's models in
 *  order until one is serving. One model serves at a time, so the first that loads is the one. */
export async function preloadAtBoot(ctx: PluginContext<VllmConfig>, swap: SwapController, catalog: () => CatalogEntry[]): Promise<void> {
  const ids = ctx.config.get().preload;
  if (!ids.length) return;
  await swap.adoptRunning().catch(() => undefined);
  for (const id of ids) {
    if (swap.active || swap.running) return;
    if (!catalog().some((m) => m.id === id)) { ctx.log.warn('preload: no such model in the catalog', { modelId: id }); continue; }
    try {
      const s = await ctx.jobs.wait(swap.start(id, { reason: 'preload' }).id);
      if (s.state === 'succeeded') return;
      ctx.log.warn('preload: the model did not load', { modelId: id, error: s.error?.message });
    } catch (e) {
      ctx.log.warn('preload: could not start the model', { modelId: id, error: (e as Error).message });
    }
  }
}
