import { z } from 'zod';
import { SparkError, validationError, type PluginContext, type PluginRouter, jobSnapshotSchema } from '@spark-control/plugin-api';
import { parseModelEntry } from './catalog.js';
import { exportCatalog, importBody, planImport } from './catalogTransfer.js';
import type { VllmConfig } from './config.js';
import type { VllmCoordinator } from './coordinator.js';
import { probeFit } from './fitProbe.js';
import { deleteCachedModel, diskUsage } from './modelDisk.js';
import { cacheDeletedResponse, catalogExport, catalogResponse, diskResponse, fitReport, importResponse, modelEntry, modelFitResponse, removedResponse } from './responses.js';
import { MODEL_ID } from './validators.js';

const idParams = z.object({ id: z.string().regex(MODEL_ID, 'not a model id') });

/** The catalog under one base path: list with state, add, export, import, fit, replace, download, remove. */
function modelRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator, router: PluginRouter, base: string): void {
  const { swap, downloads } = vllm;
  router.add({ method: 'GET', path: base, summary: 'Catalog with state and source', response: catalogResponse }, () => ({
    active: swap.active, lost: swap.lost, models: vllm.catalog().map((m) => ({ ...m, state: vllm.stateOf(m), kind: m.localPath ? 'local' : 'hf', lastLoadSeconds: swap.lastLoadSeconds(m.id) ?? null, download: downloads.current(m.id) ?? null })),
  }));
  router.add({ method: 'POST', path: base, body: z.unknown(), summary: 'Add a model (validated before anything is stored)', response: modelEntry, responseStatus: 201 }, async (c) => {
    const entry = parseModelEntry(c.body);
    if (vllm.catalog().some((m) => m.id === entry.id)) throw validationError([{ field: 'id', message: `a model with id ${entry.id} already exists` }]);
    await vllm.saveUser([...vllm.userEntries(), entry]);
    c.status(201);
    return entry;
  });
  router.add({ method: 'GET', path: `${base}/export`, summary: 'The user-added models as a file to import elsewhere (built-ins ship with every install)', response: catalogExport }, (c) => {
    c.setHeader('Content-Disposition', 'attachment; filename="spark-control-models.json"');
    return exportCatalog(vllm.userEntries());
  });
  router.add({ method: 'POST', path: `${base}/import`, body: importBody, summary: 'Import models exported by Spark Control: every entry validated, all or nothing; merge (default) or replace; dryRun reports only', response: importResponse }, async (c) => {
    const plan = planImport(vllm.userEntries(), c.body.models, c.body.mode);
    const inUse = [swap.active?.modelId, swap.running ? swap.lastJob?.modelId : undefined].find((id) => id && plan.removed.includes(id));
    if (inUse) throw new SparkError('VLLM_MODEL_IN_USE', `replacing the catalog would remove ${inUse}, which is active or loading`, { status: 409 });
    if (!c.body.dryRun && (plan.added.length || plan.updated.length || plan.removed.length)) await vllm.saveUser(plan.entries);
    return { dryRun: c.body.dryRun, mode: c.body.mode, added: plan.added, updated: plan.updated, removed: plan.removed, unchanged: plan.unchanged };
  });
  router.add({ method: 'GET', path: `${base}/:id/fit`, params: idParams, summary: 'Will this model fit? Weights + KV cache for its context vs. memory per Spark, before launching', response: modelFitResponse }, async (c) => {
    const m = vllm.modelOr404(c.params.id);
    const report = await probeFit(ctx, vllm.hostId(), vllm.hubDir(), [m]);
    return { host: report.host, memTotalBytes: report.memTotalBytes, ...report.models[0] };
  });
  router.add({ method: 'PUT', path: `${base}/:id`, params: idParams, body: z.unknown(), summary: 'Replace a model entry', response: modelEntry }, async (c) => {
    // Spreading a JSON string would make an object of its characters (a megabyte body, a million keys): refuse it first.
    if (typeof c.body !== 'object' || c.body === null || Array.isArray(c.body)) throw validationError([{ field: '', message: 'must be a JSON object' }]);
    const entry = parseModelEntry({ ...c.body, id: c.params.id });
    await vllm.saveUser([...vllm.userEntries().filter((m) => m.id !== entry.id), entry]);
    return entry;
  });
  router.add({ method: 'POST', path: `${base}/:id/download`, params: idParams, summary: 'Download a Hugging Face model into the Spark\'s cache (job with progress; cancel via /api/jobs/<id>/cancel)', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
    const m = vllm.modelOr404(c.params.id);
    c.status(202);
    return downloads.start(m);
  });
  router.add({ method: 'DELETE', path: `${base}/:id`, params: idParams, summary: 'Remove a user-added model from the catalog', response: removedResponse }, async (c) => {
    const m = vllm.modelOr404(c.params.id);
    if (m.source !== 'user') throw new SparkError('VLLM_BUILTIN_MODEL', 'built-in catalog entries cannot be removed', { status: 409 });
    if (vllm.inUse(m.id)) throw new SparkError('VLLM_MODEL_IN_USE', 'this model is active or loading', { status: 409 });
    await vllm.saveUser(vllm.userEntries().filter((x) => x.id !== m.id));
    return { removed: m.id };
  });
}

/** The catalog (under the plugin prefix and at the short /api/models path automation scripts use), the fit estimate of
 *  every model, the disk use and the deletion of a downloaded model. */
export function registerCatalogRoutes(ctx: PluginContext<VllmConfig>, vllm: VllmCoordinator): void {
  const r = ctx.routes;
  modelRoutes(ctx, vllm, r, '/models');
  modelRoutes(ctx, vllm, ctx.publicRoutes('/api/models'), '');
  r.add({ method: 'GET', path: '/fit', summary: 'Fit estimate of every catalog model (one SSH round trip)', response: fitReport }, () => probeFit(ctx, vllm.hostId(), vllm.hubDir(), vllm.catalog()));
  r.add({ method: 'GET', path: '/disk', summary: 'Size on disk of every model and free space', response: diskResponse }, () => diskUsage(ctx, vllm.hostId(), vllm.hubDir(), vllm.catalog()));
  r.add({ method: 'DELETE', path: '/models/:id/cache', params: idParams, summary: 'Delete a downloaded Hugging Face model from the cache', response: cacheDeletedResponse }, async (c) => {
    const m = vllm.modelOr404(c.params.id);
    if (m.localPath) throw new SparkError('VLLM_LOCAL_MODEL', 'local models are never deleted by Spark Control', { status: 409 });
    if (vllm.inUse(m.id)) throw new SparkError('VLLM_MODEL_IN_USE', 'cannot delete the active or loading model', { status: 409 });
    return deleteCachedModel(ctx, vllm.hostId(), vllm.hubDir(), m);
  });
}
