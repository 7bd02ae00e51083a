import type { PluginContext } from '@spark-control/plugin-api';
import type { RedactionConfig } from './config.js';
import { warmLexicons } from './layers/lexicon.js';
import { redactionRoutes } from './routes.js';
import { RedactionService } from './service.js';

/** Wiring only: the service (maps, NER, counts), its routes, the expired-map sweep and the tile. */
export function registerRedaction(ctx: PluginContext<RedactionConfig>): void {
  const svc = new RedactionService(ctx);
  redactionRoutes(ctx, svc);
  ctx.lifecycle.onStart(() => {
    // Load the word and name lexicons now, not on the first /scrub (about a second on a busy box).
    setImmediate(warmLexicons);
    const sweep = ctx.jobs.schedule({ name: 'sweep-expired-maps', everyMs: 10 * 60_000, initialDelayMs: 5000, run: async () => { await svc.store.sweep(); } });
    ctx.onDispose(() => sweep.stop());
  });
  ctx.tiles.register({ tag: 'spark-redaction-tile', module: 'tile.js', title: 'Redaction', order: 50 });
}
