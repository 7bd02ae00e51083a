import { Server, createServer } from 'node:net';

/** Whether 127.0.0.1:port can be listened on right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Runs `start` (a simulator's, which listens on port 0 = any) so that its first listen on port 0 takes `port`
 *  instead, when that port is free: a restarted simulator process then serves its fakes where the kernel (and a swap
 *  in flight, which holds the URL) last saw them, without every fake having to take a port option. Only one start runs
 *  at a time (the caller awaits each), so the substitution cannot leak into another server. */
export async function onPreferredPort<T>(port: number | undefined, start: () => Promise<T>): Promise<T> {
  if (!port || !(await isFree(port))) return start();
  const listen = Server.prototype.listen;
  let used = false;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    if (!used && (args[0] === 0 || (typeof args[0] === 'object' && args[0] !== null && (args[0] as { port?: number }).port === 0))) {
      used = true;
      args[0] = typeof args[0] === 'object' ? { ...(args[0] as object), port } : port;
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    Server.prototype.listen = listen;
  }
}
