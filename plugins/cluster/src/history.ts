import type { PluginContext } from '@spark-control/plugin-api';
import type { HostSnapshot } from './poller.js';

/** Per-Spark series of what the poller reads: GPU use, memory in use, power and temperature. An unreachable Spark's
 *  last figures are not repeated as if current: it leaves a gap. */
export function recordClusterHistory(ctx: PluginContext, snapshots: Map<string, HostSnapshot>): void {
  const perHost = (pick: (s: HostSnapshot) => number | null | undefined) => () =>
    [...snapshots.values()].filter((s) => s.reachable).map((s) => ({ labels: { host: s.hostId }, value: pick(s) }));
  ctx.history.series({ name: 'gpu_util', unit: '%', help: 'GPU utilisation', sample: perHost((s) => s.gpu?.[0]?.utilizationPct) });
  ctx.history.series({ name: 'memory_used', unit: 'GiB', help: 'Memory in use (GB10: unified memory)', sample: perHost((s) => (s.memory ? Math.round((s.memory.usedMiB / 1024) * 10) / 10 : null)) });
  ctx.history.series({ name: 'gpu_power', unit: 'W', help: 'GPU power draw', sample: perHost((s) => s.gpu?.[0]?.powerW) });
  ctx.history.series({ name: 'gpu_temperature', unit: '°C', help: 'GPU temperature', sample: perHost((s) => s.gpu?.[0]?.temperatureC) });
}
