import { containerLogRoutes, type PluginContext } from '@spark-control/plugin-api';
import type { SpeechConfig } from './config.js';

/** The speech services' container logs in the browser (`/logs/parakeet`, `/logs/kokoro`, each with `/follow`), read
 *  with `docker logs` on the Spark each service runs on. */
export function registerSpeechLogRoutes(ctx: PluginContext<SpeechConfig>): void {
  containerLogRoutes(ctx.routes, {
    ssh: ctx.ssh, what: 'the speech services',
    containers: () => ({
      parakeet: { hostId: ctx.cluster.service('parakeet').hostId, container: ctx.config.get().parakeetContainer },
      kokoro: { hostId: ctx.cluster.service('kokoro').hostId, container: ctx.config.get().kokoroContainer },
    }),
  });
}
