import type { PluginContext } from '@spark-control/plugin-api';
import type { MatrixBridgeConfig } from './config.js';
import { createBotCoordinator } from './coordinator.js';
import { registerMatrixBridgeRoutes } from './routes.js';
import { describeStatus } from './state.js';

/** Wiring only: the bot coordinator, the routes, the health check, the status poll, the tile. */
export function registerMatrixBridge(ctx: PluginContext<MatrixBridgeConfig>): void {
  const bot = createBotCoordinator(ctx);
  registerMatrixBridgeRoutes(ctx, bot);

  ctx.health.register({
    name: 'bot', service: 'matrix-bridge', intervalMs: 30_000, timeoutMs: 15_000,
    hostId: bot.cfg().hostId,
    check: async () => {
      if (!bot.cfg().botUser) return { status: 'up', detail: 'disabled (no bot user)' };
      const s = await bot.refresh();
      if (s.state === 'running') return s.health === 'unhealthy' ? { status: 'degraded', detail: 'running but its health check fails' } : { status: 'up', detail: describeStatus(s) };
      return { status: 'down', detail: describeStatus(s) };
    },
  });

  ctx.lifecycle.onStart(() => {
    const poll = ctx.jobs.schedule({ name: 'status', everyMs: bot.cfg().statusIntervalMs, timeoutMs: 20_000, initialDelayMs: 200, run: async () => { await bot.refresh().catch(() => {}); } });
    ctx.onDispose(() => poll.stop());
  });

  ctx.tiles.register({ tag: 'spark-matrix-bridge-tile', module: 'tile.js', title: 'Matrix bot', order: 60, hidden: () => !bot.cfg().botUser });
}
