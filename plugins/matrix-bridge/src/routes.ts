import { containerLogRoutes, jobSnapshotSchema, type OneContainerLogRoutes, type PluginContext, type PluginRouter } from '@spark-control/plugin-api';
import type { MatrixBridgeConfig } from './config.js';
import { ACTIONS, type BotCoordinator } from './coordinator.js';
import { FollowerSlots } from './followers.js';
import { streamUpdate } from './legacyUpdate.js';
import { actionResponse, statusResponse } from './responses.js';

/** The plugin's routes, and the paths the existing clients already call (`/api/matrix-bridge/...`). */
export function registerMatrixBridgeRoutes(ctx: PluginContext<MatrixBridgeConfig>, bot: BotCoordinator): void {
  // One follower cap for every route that follows the bot's log (each is a remote docker logs -f while the client listens).
  const logs: OneContainerLogRoutes = {
    ssh: ctx.ssh, followers: new FollowerSlots(), what: "the bot's container", guard: bot.requireEnabled, sshOptions: () => bot.sshOpts(),
    container: () => ({ hostId: bot.cfg().hostId, container: bot.cfg().containerName }),
  };
  const mount = (r: PluginRouter) => {
    r.add({ method: 'GET', path: '/status', summary: 'Bot container state (docker only)', response: statusResponse }, async () => {
      if (bot.cfg().botUser) await bot.refresh();
      return bot.statusView();
    });
    r.add({ method: 'POST', path: '/update', summary: 'git pull + docker build + recreate, streamed as a job', response: jobSnapshotSchema, responseStatus: 202 }, (c) => {
      c.status(202);
      return bot.startUpdate();
    });
    for (const verb of ACTIONS) r.add({ method: 'POST', path: `/actions/${verb}`, summary: `docker ${verb}`, response: actionResponse }, () => bot.runAction(verb));
    containerLogRoutes(r, logs);
  };
  mount(ctx.routes);
  // Paths the existing clients already call.
  const legacy = ctx.publicRoutes('/api/matrix-bridge');
  legacy.add({ method: 'POST', path: '/update', summary: 'The update\'s output as text, line by line, ending UPDATE OK or UPDATE FAILED: <reason> (the Python tool\'s shape; /api/plugins/matrix-bridge/update answers a job)' }, (c) => {
    streamUpdate(ctx, c, bot.startUpdate());
    return undefined;
  });
  containerLogRoutes(legacy, { ...logs, follow: false });
}
