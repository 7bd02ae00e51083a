import type { PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from './config.js';
import { VllmCoordinator } from './coordinator.js';
import { onDemandMetrics } from './onDemand/metrics.js';
import { registerOpenAiRoutes } from './openaiRoutes.js';
import { registerVllmRoutes } from './routes.js';

/** Wiring only: the coordinator (catalog, swap, in-flight requests, on-demand scheduler, downloads), the routes, the
 *  on-demand metrics, the OpenAI proxy, the health check, the recovery at start and the tile. */
export function registerVllm(ctx: PluginContext<VllmConfig>): void {
  const vllm = new VllmCoordinator(ctx);
  registerVllmRoutes(ctx, vllm);
  onDemandMetrics(ctx, vllm.onDemand, vllm.catalog);
  ctx.onDispose(() => vllm.onDemand.dispose());
  registerOpenAiRoutes(ctx, vllm);

  // /health (2.5 s) plus, across Sparks, a worker check (2 s); with models sharing the Sparks, 2 s per other slot.
  ctx.health.register({ name: 'vllm', service: 'vllm', intervalMs: 15_000, timeoutMs: 9000, check: (signal) => vllm.checkHealth(signal) });
  ctx.lifecycle.onStart(() => vllm.start());

  ctx.tiles.register({ tag: 'spark-vllm-tile', module: 'tile.js', title: 'LLM (vLLM)', cols: 2, order: 20 });
  // A page per served model: the kernel's series with its model label, and its benchmark runs (in the tile's module).
  ctx.pages.register({ kind: 'model', label: 'model', title: 'Model', others: 'Other models' });
  ctx.pages.section({ kind: 'model', tag: 'spark-vllm-benchmark-runs', module: 'tile.js', order: 10 });
}
