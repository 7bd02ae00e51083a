import { containerLogRoutes, type PluginContext } from '@spark-control/plugin-api';
import type { EmbeddingsConfig } from './config.js';

/** The embedding service's and Qdrant's container logs in the browser (`/logs/embeddings`, `/logs/qdrant`, each with
 *  `/follow`), read with `docker logs` on the Spark each service runs on. */
export function registerEmbeddingsLogRoutes(ctx: PluginContext<EmbeddingsConfig>): void {
  containerLogRoutes(ctx.routes, {
    ssh: ctx.ssh, what: 'the embedding and search services',
    containers: () => ({
      embeddings: { hostId: ctx.cluster.service('embeddings').hostId, container: ctx.config.get().embeddingsContainer },
      qdrant: { hostId: ctx.cluster.service('qdrant').hostId, container: ctx.config.get().qdrantContainer },
    }),
  });
}
