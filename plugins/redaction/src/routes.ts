import type { PluginContext } from '@spark-control/plugin-api';
import type { RedactionConfig } from './config.js';
import { rehydrateBody, scrubBody } from './requestBodies.js';
import { rehydrateResponse, scrubResponse, statsResponse } from './responses.js';
import type { RedactionService } from './service.js';

/** /scrub and /rehydrate for programs (scope inference), the same two for the tile's try-it box, and the tile's stats. */
export function redactionRoutes(ctx: PluginContext<RedactionConfig>, svc: RedactionService): void {
  const maxBodyBytes = ctx.config.get().maxBodyBytes;
  // sensitive: the kernel logs no query string and error bodies never echo input.
  ctx.publicRoutes('/scrub', { scope: 'inference' }).add({ method: 'POST', path: '', body: scrubBody, sensitive: true, maxBodyBytes, summary: 'Replace private values with placeholders', response: scrubResponse }, svc.scrub);
  ctx.publicRoutes('/rehydrate', { scope: 'inference' }).add({ method: 'POST', path: '', body: rehydrateBody, sensitive: true, maxBodyBytes, summary: 'Put the original values back', response: rehydrateResponse }, svc.rehydrate);
  ctx.routes.add({ method: 'POST', path: '/try', body: scrubBody, sensitive: true, maxBodyBytes: 256 * 1024, summary: 'Same as /scrub (for the dashboard try-it box)', response: scrubResponse }, svc.scrub);
  ctx.routes.add({ method: 'POST', path: '/try-rehydrate', body: rehydrateBody, sensitive: true, maxBodyBytes: 256 * 1024, summary: 'Same as /rehydrate (for the dashboard try-it box)', response: rehydrateResponse }, svc.rehydrate);
  ctx.routes.add({ method: 'GET', path: '/stats', summary: 'Map count and recent error codes (never values)', response: statsResponse }, () => svc.stats());
}
