import type { PluginContext } from '@spark-control/plugin-api';
import type { ClusterPluginConfig } from './config.js';
import { ClusterPoller } from './poller.js';
import { recordClusterHistory } from './history.js';
import { clusterRoutes } from './routes.js';

/** Wiring only: the poller and its history, the routes, the poll job (rescheduled when its interval changes), the tile
 *  and the Spark pages. */
export function registerCluster(ctx: PluginContext<ClusterPluginConfig>): void {
  const poller = new ClusterPoller(ctx);
  recordClusterHistory(ctx, poller.snapshots);
  clusterRoutes(ctx, poller);

  ctx.lifecycle.onStart(() => {
    const schedule = () => ctx.jobs.schedule({
      name: 'poll', everyMs: ctx.config.get().pollIntervalMs, timeoutMs: ctx.config.get().pollTimeoutMs + 2000,
      run: async () => { await poller.pollAll(); },
    });
    let job = schedule();
    // Interval changes apply without a restart.
    ctx.config.watch((next, prev) => { if (next.pollIntervalMs !== prev.pollIntervalMs) { job.stop(); job = schedule(); } });
    ctx.cluster.watch(() => { for (const id of [...poller.snapshots.keys()]) if (!ctx.cluster.host(id)) poller.snapshots.delete(id); void job.trigger(); });
    ctx.ssh.onConnectionChange((e) => { if (e.state === 'down' && ctx.cluster.host(e.hostId)) poller.onTransportDown(e.hostId, e.reason ?? 'SSH connection dropped'); });
    ctx.onDispose(() => job.stop());
  });

  ctx.tiles.register({ tag: 'spark-cluster-tile', module: 'tile.js', title: 'Sparks', cols: 2, order: 10 });
  // A page per Spark: the kernel's series with its host label, and what runs on it (defined in the tile's module).
  ctx.pages.register({ kind: 'spark', label: 'host', title: 'Spark', others: 'Other Sparks' });
  ctx.pages.section({ kind: 'spark', tag: 'spark-cluster-containers', module: 'tile.js', order: 10 });
}
