import { z } from 'zod';
import { SparkError, type PluginContext, type PluginRouter, jobSnapshotSchema } from '@spark-control/plugin-api';
import type { MatrixBridgeConfig } from './config.js';
import { logsFollow, logsTail } from './commands.js';
import { ACTIONS, type BotCoordinator } from './coordinator.js';
import { FollowerSlots } from './followers.js';
import { streamUpdate } from './legacyUpdate.js';
import { actionResponse, logsResponse, statusResponse } from './responses.js';

const tailQuery = z.object({ lines: z.coerce.number().int().min(1).max(5000).default(200) });

/** The plugin's routes, and the paths the existing clients already call (`/api/matrix-bridge/...`). */
export function registerMatrixBridgeRoutes(ctx: PluginContext<MatrixBridgeConfig>, bot: BotCoordinator): void {
  // Shared by every route that follows logs (each one is a remote docker logs -f while the client listens).
  const followers = new FollowerSlots();
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
    r.add({ method: 'GET', path: '/logs', query: tailQuery, summary: 'Last N log lines', response: logsResponse }, async (c) => {
      bot.requireEnabled();
      const cf = bot.cfg();
      const res = await ctx.ssh.exec(cf.hostId, logsTail(cf, c.query.lines), bot.sshOpts());
      if (res.code !== 0) throw new SparkError('MATRIX_BRIDGE_LOGS_FAILED', `docker logs failed: ${res.stdout.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}`, { status: 502 });
      return { lines: res.stdout.split('\n').filter(Boolean) };
    });
    r.add({ method: 'GET', path: '/logs/follow', query: tailQuery, summary: 'Tail then follow logs over SSE; closing stops the remote docker logs' }, (c) => {
      bot.requireEnabled();
      const cf = bot.cfg();
      const release = followers.take(c.req.socket.remoteAddress ?? '');
      const sse = c.sse();
      sse.signal.addEventListener('abort', release, { once: true });
      ctx.ssh.stream(cf.hostId, logsFollow(cf, c.query.lines), bot.sshOpts({
        timeoutMs: 6 * 3600_000,
        signal: sse.signal,
        onLine: (line) => sse.send('line', { line }),
      })).then((res) => { sse.send('end', { code: res.code }); sse.close(); }, (e) => { if (!sse.signal.aborted) sse.send('error', { message: (e as Error).message }); sse.close(); });
      return undefined;
    });
  };
  mount(ctx.routes);
  // Paths the existing clients already call.
  const legacy = ctx.publicRoutes('/api/matrix-bridge');
  legacy.add({ method: 'POST', path: '/update', summary: 'The update\'s output as text, line by line, ending UPDATE OK or UPDATE FAILED: <reason> (the Python tool\'s shape; /api/plugins/matrix-bridge/update answers a job)' }, (c) => {
    streamUpdate(ctx, c, bot.startUpdate());
    return undefined;
  });
  legacy.add({ method: 'GET', path: '/logs', query: tailQuery, summary: 'Same as /api/plugins/matrix-bridge/logs', response: logsResponse }, async (c) => {
    bot.requireEnabled();
    const cf = bot.cfg();
    const res = await ctx.ssh.exec(cf.hostId, logsTail(cf, c.query.lines), bot.sshOpts());
    return { lines: res.stdout.split('\n').filter(Boolean) };
  });
}
