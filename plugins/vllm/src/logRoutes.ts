import { z } from 'zod';
import { SparkError, sh, type PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from './config.js';
import { logFollowerSlots } from './logFollowers.js';
import { CONTAINER_NAME } from './validators.js';

const followQuery = z.object({ lines: z.coerce.number().int().min(1).max(5000).default(200) });

/** The served model's container log in the browser: the last N lines, then every new one, over SSE. Closing the
 *  stream ends the remote `docker logs -f`. `hostId` is the Spark the model's head runs on. */
export function registerVllmLogRoutes(ctx: PluginContext<VllmConfig>, hostId: () => string): void {
  const followers = logFollowerSlots();
  ctx.routes.add({ method: 'GET', path: '/logs/follow', query: followQuery, summary: 'The model container\'s log: last N lines, then follow over SSE (events line, end, error); closing stops the remote docker logs' }, (c) => {
    const name = ctx.config.get().containerName;
    if (!CONTAINER_NAME.test(name)) throw new SparkError('VLLM_BAD_CONTAINER_NAME', 'the configured container name is not a docker container name', { status: 500 });
    const release = followers.take(c.req.socket.remoteAddress ?? '');
    const sse = c.sse();
    sse.signal.addEventListener('abort', release, { once: true });
    ctx.ssh.stream(hostId(), sh`docker logs --tail ${c.query.lines} --timestamps --follow ${name} 2>&1`, {
      timeoutMs: 6 * 3600_000,
      signal: sse.signal,
      onLine: (line) => sse.send('line', { line }),
    }).then(
      (res) => { sse.send('end', { code: res.code }); sse.close(); release(); },
      (e) => { if (!sse.signal.aborted) sse.send('error', { message: (e as Error).message }); sse.close(); release(); },
    );
    return undefined;
  });
}
