import type { PluginContext } from '@spark-control/plugin-api';
import { registerBenchmarks } from './benchmark/benchmarkRoutes.js';
import { registerCatalogRoutes } from './catalogRoutes.js';
import type { VllmConfig } from './config.js';
import type { VllmCoordinator } from './coordinator.js';
import { registerVllmLogRoutes } from './logRoutes.js';
import { metricsResponse } from './responses.js';
import { registerResidencyRoutes } from './residency/routes.js';
import { registerSwapRoutes } from './swapRoutes.js';

/** The dashboard's and automation's routes: the catalog, the swap and link, the container log, the benchmarks and the
 *  served model's live metrics. The OpenAI proxy under /v1 is in openaiRoutes.ts. */
export function registerVllmRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator): void {
  registerCatalogRoutes(ctx, vllm);
  registerSwapRoutes(ctx, vllm);
  registerResidencyRoutes(ctx, vllm);
  registerVllmLogRoutes(ctx, vllm.hostId);
  registerBenchmarks(ctx, { swap: vllm.swap, hooks: vllm.hooks, catalog: vllm.catalog });
  ctx.routes.add({ method: 'GET', path: '/metrics', summary: 'Live metrics of the served model', response: metricsResponse }, () => vllm.liveMetrics());
}
