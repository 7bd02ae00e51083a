import type { PluginMetrics } from '../../api/types.js';
import type { Metrics } from './Metrics.js';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const LABEL = /^[a-z_][a-z0-9_]{0,31}$/;
/** Distinct label sets one plugin metric may have: a label fed from request data cannot grow /metrics without end. */
const MAX_SETS = 200;

/**
 * `ctx.metrics`: a plugin's own Prometheus metrics on the kernel's registry, named `spark_<plugin>_<name>` (dashes
 * become underscores). Bounded: past MAX_SETS label sets a metric records nothing more (once logged).
 */
export function pluginMetrics(plugin: string, metrics: Metrics, warn: (msg: string, meta: Record<string, unknown>) => void): PluginMetrics {
  const prefix = `spark_${plugin.replace(/-/g, '_')}_`;
  const sets = new Map<string, Set<string>>();
  const full = (name: string, labels: Record<string, string>): string | undefined => {
    if (!NAME.test(name)) throw new Error(`metric name must match ${NAME}: ${name}`);
    for (const k of Object.keys(labels)) if (!LABEL.test(k)) throw new Error(`metric label must match ${LABEL}: ${k}`);
    const id = prefix + name;
    let seen = sets.get(id);
    if (!seen) sets.set(id, (seen = new Set()));
    const key = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
    if (!seen.has(key)) {
      if (seen.size >= MAX_SETS) {
        if (seen.size === MAX_SETS) { seen.add('\u0000full'); warn('plugin metric has too many label sets; not recording more', { metric: id, max: MAX_SETS }); }
        return undefined;
      }
      seen.add(key);
    }
    return id;
  };
  return {
    inc: (name, help, labels = {}, by = 1) => { const id = full(name, labels); if (id) metrics.inc(id, help, labels, by); },
    observe: (name, help, labels, value) => { const id = full(name, labels); if (id) metrics.observe(id, help, labels, value); },
    gauge: (name, help, read) => {
      if (!NAME.test(name)) throw new Error(`metric name must match ${NAME}: ${name}`);
      metrics.gauge(prefix + name, help, () => read().slice(0, MAX_SETS));
    },
  };
}
