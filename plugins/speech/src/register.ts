import type { PluginContext } from '@spark-control/plugin-api';
import type { SpeechConfig } from './config.js';
import { SpeechCoordinator } from './coordinator.js';
import { registerSpeechRoutes } from './routes.js';

/** Wiring only: the coordinator (queues, spool, upstream calls), the routes, a health check per upstream, the tile. */
export function registerSpeech(ctx: PluginContext<SpeechConfig>): void {
  const speech = new SpeechCoordinator(ctx);
  registerSpeechRoutes(ctx, speech);
  for (const name of ['parakeet', 'kokoro'] as const) {
    ctx.health.register({ name, service: name, intervalMs: 30_000, timeoutMs: 3000, check: (signal) => speech.checkHealth(name, signal) });
  }
  ctx.tiles.register({ tag: 'spark-speech-tile', module: 'tile.js', title: 'Speech', order: 30 });
}
