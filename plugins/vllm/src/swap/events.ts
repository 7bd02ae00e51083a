/**
 * Telling the world about a swap: every `vllm.swap.<type>` event goes to the plugin's event bus and, POSTed as JSON, to
 * each configured webhook URL, in the order the events happened (one delivery chain per URL; a dead hook only logs).
 */
import type { PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from '../config.js';

export class SwapEvents {
  /** Per-URL delivery chains: each webhook receives events in the order they happened. */
  private readonly hookChains = new Map<string, Promise<void>>();

  constructor(private readonly ctx: PluginContext<VllmConfig>) {}

  emit(type: string, data: Record<string, unknown>) {
    const payload = { ...data, at: new Date().toISOString() };
    this.ctx.events.emit(`vllm.swap.${type}`, payload);
    for (const url of this.ctx.config.get().webhooks) {
      const u = new URL(url);
      const send = () => this.ctx.http.request({ service: 'webhook', baseUrl: u.origin }, u.pathname + u.search, { method: 'POST', json: { event: `vllm.swap.${type}`, ...payload }, timeoutMs: 5000 })
        .then((r) => { r.body.resume(); }, (e) => this.ctx.log.warn('swap webhook failed', { host: u.host, error: (e as Error).message }));
      this.hookChains.set(url, (this.hookChains.get(url) ?? Promise.resolve()).then(send));
    }
  }
}
