import type { PluginContext } from '@spark-control/plugin-api';
import { createEmbeddingsClient } from './client.js';
import type { EmbeddingsConfig } from './config.js';
import { registerEmbeddingsLogRoutes } from './logRoutes.js';
import { registerEmbeddingsRoutes } from './routes.js';

/** Wiring only: the upstream client, the routes, a health check per upstream, the tile. */
export function registerEmbeddings(ctx: PluginContext<EmbeddingsConfig>): void {
  const client = createEmbeddingsClient(ctx);
  registerEmbeddingsRoutes(ctx, client);
  registerEmbeddingsLogRoutes(ctx);
  for (const [name, up, path] of [['embeddings', client.embedUp, '/health'], ['qdrant', client.qdrantUp, '/healthz']] as const) {
    ctx.health.register({
      name, service: name, intervalMs: 30_000, timeoutMs: 3000,
      check: async (signal) => {
        const r = await ctx.http.request(up(), path, { timeoutMs: 2500, signal });
        r.body.resume();
        return r.status === 200 ? { status: 'up' } : { status: 'down', detail: `HTTP ${r.status}` };
      },
    });
  }
  ctx.tiles.register({ tag: 'spark-embeddings-tile', module: 'tile.js', title: 'Embeddings & search', order: 40 });
}
