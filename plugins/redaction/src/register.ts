import { z } from 'zod';
import type { PluginContext, RouteContext } from '@spark-control/plugin-api';
import type { RedactionConfig } from './config.js';
import { MapStore, type RedactionMap } from './maps.js';
import { warmLexicons } from './layers/lexicon.js';
import { llmNer } from './ner.js';
import { rehydrateResponse, scrubResponse, statsResponse } from './responses.js';
import { rehydrateText, scrubItems } from './scrub.js';

const names = z.array(z.string().max(200)).max(500).optional();
const item = z.object({ id: z.string().min(1, 'required').max(200), text: z.string().max(2_000_000) });
export const scrubBody = z.object({
  task_id: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  items: z.array(item).min(1, 'give at least one item').max(1000),
  known_entities: z.object({ persons: names, orgs: names, funds: names, emails: names, locations: names }).partial().optional(),
  tier1_action: z.enum(['drop', 'reject']).default('reject'),
  bucket: z.object({ amounts: z.boolean().optional(), dates: z.boolean().optional() }).optional(),
  ner: z.enum(['auto', 'rules_only', 'qwen']).default('auto'),
  map_handle: z.string().max(100).nullable().optional(),
});
export const rehydrateBody = z.object({
  task_id: z.string().max(200).optional(),
  map_handle: z.string().min(1, 'required').max(100),
  items: z.array(item).min(1, 'give at least one item').max(1000),
});

/** Errors in the predecessor's exact shapes: `{"error": "<code>", …}` — never a value from the request. */
function contractError(c: RouteContext, status: number, body: Record<string, unknown>) {
  c.status(status);
  return body;
}

export function registerRedaction(ctx: PluginContext<RedactionConfig>): void {
  const store = new MapStore(ctx, ctx.config.get().mapTtlHours * 3600_000);
  const lastErrors: Array<{ at: string; code: string }> = [];
  let scrubbed = 0;
  const noteError = (code: string) => { lastErrors.push({ at: new Date().toISOString(), code }); if (lastErrors.length > 20) lastErrors.shift(); };

  const openMap = (handle: string | null | undefined): RedactionMap | { error: Record<string, unknown>; status: number } => {
    if (!handle) return store.create();
    const m = store.get(handle);
    if (m === 'expired') return { status: 404, error: { error: 'map_expired' } };
    if (!m) return { status: 404, error: { error: 'map_not_found' } };
    return m;
  };

  async function scrub(c: RouteContext<z.output<typeof scrubBody>>) {
    const b = c.body;
    const map = openMap(b.map_handle);
    if ('error' in map) { noteError(String(map.error.error)); return contractError(c, map.status, map.error); }
    let extra: Map<string, import('./detect.js').Span[]> | undefined;
    if (b.ner !== 'rules_only') {
      try {
        extra = await llmNer(ctx, b.items, { waitForSwapMs: b.ner === 'qwen' ? ctx.config.get().nerTimeoutMs : 0 });
      } catch (e) {
        if (b.ner === 'qwen') {
          noteError('ner_unavailable');
          ctx.log.warn('LLM NER unavailable; refusing (fail closed)', { reason: (e as { code?: string }).code ?? 'error' });
          return contractError(c, 422, { error: 'ner_unavailable' });
        }
        extra = undefined; // auto: the rules alone
      }
    }
    const out = await scrubItems(b.items, map, store, { known: b.known_entities, tier1Action: b.tier1_action, bucket: b.bucket, extra: (id) => extra?.get(id) ?? [] });
    if (out.rejected) {
      noteError('tier1_detected');
      return contractError(c, 422, { error: 'tier1_detected', spans: out.rejected });
    }
    map.expiresAt = new Date(Date.now() + ctx.config.get().mapTtlHours * 3600_000).toISOString();
    await store.save(map);
    scrubbed += b.items.length;
    c.usage({ items_scrubbed: b.items.length });
    return { task_id: b.task_id ?? null, map_handle: map.handle, items: out.items, stats: out.stats, expires_at: map.expiresAt };
  }

  function rehydrate(c: RouteContext<z.output<typeof rehydrateBody>>) {
    const b = c.body;
    const map = openMap(b.map_handle);
    if ('error' in map) { noteError(String(map.error.error)); return contractError(c, map.status, map.error); }
    return {
      task_id: b.task_id ?? null,
      items: b.items.map((it) => {
        const r = rehydrateText(it.text, map);
        return { id: it.id, text: r.text, replaced: r.replaced, unknown_placeholders: r.unknown };
      }),
    };
  }

  const maxBodyBytes = ctx.config.get().maxBodyBytes;
  // sensitive: the kernel logs no query string and error bodies never echo input.
  ctx.publicRoutes('/scrub', { scope: 'inference' }).add({ method: 'POST', path: '', body: scrubBody, sensitive: true, maxBodyBytes, summary: 'Replace private values with placeholders', response: scrubResponse }, scrub);
  ctx.publicRoutes('/rehydrate', { scope: 'inference' }).add({ method: 'POST', path: '', body: rehydrateBody, sensitive: true, maxBodyBytes, summary: 'Put the original values back', response: rehydrateResponse }, rehydrate);
  ctx.routes.add({ method: 'POST', path: '/try', body: scrubBody, sensitive: true, maxBodyBytes: 256 * 1024, summary: 'Same as /scrub (for the dashboard try-it box)', response: scrubResponse }, scrub);
  ctx.routes.add({ method: 'POST', path: '/try-rehydrate', body: rehydrateBody, sensitive: true, maxBodyBytes: 256 * 1024, summary: 'Same as /rehydrate (for the dashboard try-it box)', response: rehydrateResponse }, rehydrate);
  ctx.routes.add({ method: 'GET', path: '/stats', summary: 'Map count and recent error codes (never values)', response: statsResponse }, () => ({ maps: store.count(), itemsScrubbed: scrubbed, lastErrors }));

  ctx.lifecycle.onStart(() => {
    // Load the word and name lexicons now, not on the first /scrub (about a second on a busy box).
    setImmediate(warmLexicons);
    const sweep = ctx.jobs.schedule({ name: 'sweep-expired-maps', everyMs: 10 * 60_000, initialDelayMs: 5000, run: async () => { await store.sweep(); } });
    ctx.onDispose(() => sweep.stop());
  });
  ctx.tiles.register({ tag: 'spark-redaction-tile', module: 'tile.js', title: 'Redaction', order: 50 });
}
