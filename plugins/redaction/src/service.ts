import type { z } from 'zod';
import type { PluginContext, RouteContext } from '@spark-control/plugin-api';
import type { RedactionConfig } from './config.js';
import type { Span } from './detect.js';
import { MapStore, type RedactionMap } from './maps.js';
import { llmNer } from './ner.js';
import type { rehydrateBody, scrubBody } from './requestBodies.js';
import { rehydrateText, scrubItems } from './scrub.js';

/** Errors in the predecessor's exact shapes: `{"error": "<code>", …}` — never a value from the request. */
function contractError(c: RouteContext, status: number, body: Record<string, unknown>) {
  c.status(status);
  return body;
}

/**
 * Scrub and rehydrate over the plugin's map store: opens or creates the request's map, asks the LLM NER (vLLM's chat
 * point) when the request allows it, and keeps the counts and recent error codes the tile shows (never values).
 */
export class RedactionService {
  readonly store: MapStore;
  readonly lastErrors: Array<{ at: string; code: string }> = [];
  scrubbed = 0;

  constructor(private readonly ctx: PluginContext<RedactionConfig>) {
    this.store = new MapStore(ctx, ctx.config.get().mapTtlHours * 3600_000);
  }

  stats() {
    return { maps: this.store.count(), itemsScrubbed: this.scrubbed, lastErrors: this.lastErrors };
  }

  scrub = async (c: RouteContext<z.output<typeof scrubBody>>) => {
    const b = c.body;
    const map = this.openMap(b.map_handle);
    if ('error' in map) { this.noteError(String(map.error.error)); return contractError(c, map.status, map.error); }
    let extra: Map<string, Span[]> | undefined;
    if (b.ner !== 'rules_only') {
      try {
        extra = await llmNer(this.ctx, b.items, { waitForSwapMs: b.ner === 'qwen' ? this.ctx.config.get().nerTimeoutMs : 0 });
      } catch (e) {
        if (b.ner === 'qwen') {
          this.noteError('ner_unavailable');
          this.ctx.log.warn('LLM NER unavailable; refusing (fail closed)', { reason: (e as { code?: string }).code ?? 'error' });
          return contractError(c, 422, { error: 'ner_unavailable' });
        }
        extra = undefined; // auto: the rules alone
      }
    }
    const out = await scrubItems(b.items, map, this.store, { known: b.known_entities, tier1Action: b.tier1_action, bucket: b.bucket, extra: (id) => extra?.get(id) ?? [] });
    if (out.rejected) {
      this.noteError('tier1_detected');
      return contractError(c, 422, { error: 'tier1_detected', spans: out.rejected });
    }
    map.expiresAt = new Date(Date.now() + this.ctx.config.get().mapTtlHours * 3600_000).toISOString();
    await this.store.save(map);
    this.scrubbed += b.items.length;
    c.usage({ items_scrubbed: b.items.length });
    return { task_id: b.task_id ?? null, map_handle: map.handle, items: out.items, stats: out.stats, expires_at: map.expiresAt };
  };

  rehydrate = (c: RouteContext<z.output<typeof rehydrateBody>>) => {
    const b = c.body;
    const map = this.openMap(b.map_handle);
    if ('error' in map) { this.noteError(String(map.error.error)); return contractError(c, map.status, map.error); }
    return {
      task_id: b.task_id ?? null,
      items: b.items.map((it) => {
        const r = rehydrateText(it.text, map);
        return { id: it.id, text: r.text, replaced: r.replaced, unknown_placeholders: r.unknown };
      }),
    };
  };

  private openMap(handle: string | null | undefined): RedactionMap | { error: Record<string, unknown>; status: number } {
    if (!handle) return this.store.create();
    const m = this.store.get(handle);
    if (m === 'expired') return { status: 404, error: { error: 'map_expired' } };
    if (!m) return { status: 404, error: { error: 'map_not_found' } };
    return m;
  }

  private noteError(code: string): void {
    this.lastErrors.push({ at: new Date().toISOString(), code });
    if (this.lastErrors.length > 20) this.lastErrors.shift();
  }
}
