import { containerLogRoutes, type PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from './config.js';
import { logFollowerSlots } from './logFollowers.js';

/** The served model's container log in the browser: its last N lines (`/logs`), or those then every new one over SSE
 *  (`/logs/follow`); closing the stream ends the remote `docker logs -f`. `hostId` is the Spark the model's head runs on. */
export function registerVllmLogRoutes(ctx: PluginContext<VllmConfig>, hostId: () => string): void {
  containerLogRoutes(ctx.routes, {
    ssh: ctx.ssh, followers: logFollowerSlots(), what: "the model's container",
    container: () => ({ hostId: hostId(), container: ctx.config.get().containerName }),
  });
}
