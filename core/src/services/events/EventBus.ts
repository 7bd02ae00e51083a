import type { SparkEvent } from '../../api/types.js';

type Listener = { prefix: string; fn: (e: SparkEvent) => void };

/** In-process typed event bus; `/api/events` fans it out over SSE. Listeners never break the emitter. */
export class EventBusImpl {
  private readonly listeners = new Set<Listener>();

  emit(type: string, data: unknown, plugin?: string): void {
    const e: SparkEvent = { type, at: new Date().toISOString(), data, ...(plugin ? { plugin } : {}) };
    for (const l of this.listeners) {
      if (!type.startsWith(l.prefix)) continue;
      try { l.fn(e); } catch { /* a broken subscriber must not stop the others */ }
    }
  }

  on(prefix: string, fn: (e: SparkEvent) => void): () => void {
    const l = { prefix, fn };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
