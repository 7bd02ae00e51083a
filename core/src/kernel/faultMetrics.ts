import type { Metrics } from '../services/metrics/Metrics.js';
import type { Kernel } from './Kernel.js';

/** /metrics: event-loop delay, loop stalls by the plugin named for them, plugin crashes in a row. */
export function registerFaultMetrics(metrics: Metrics, kernel: Kernel): void {
  metrics.gauge('spark_event_loop_delay_seconds', 'Event-loop delay over the last 1-2 minutes (quantile 1 = max)', () =>
    kernel.loop.delaySeconds().map(([quantile, v]) => [{ quantile }, v]));
  metrics.gauge('spark_event_loop_stalls', 'Event-loop stalls over the threshold, by the plugin named for them', () => [
    [{ plugin: '(all)' }, kernel.loop.total],
    ...kernel.loop.pluginCounts().map(([plugin, n]) => [{ plugin }, n] as [Record<string, string>, number]),
  ]);
  metrics.gauge('spark_plugin_crashes', 'Crashes in a row of each plugin that crashed (resets after a stable run)', () =>
    kernel.list().filter((r) => r.crashes).map((r) => [{ plugin: r.id }, r.crashes!]));
}
