import type { IncomingMessage, ServerResponse } from 'node:http';

/** A fake service's request handler, sync or async. */
export type FakeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * For a plugin's simulator: wraps a fake service's request handler so that nothing it throws or rejects leaves the
 * request callback (where it would end the simulator's process). An internal error is logged on stderr with the
 * fake's name and answered by `internalError` in the real service's envelope, or cuts a response already under way.
 */
export function guardFakeHandler(name: string, internalError: (res: ServerResponse) => void, handler: FakeHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    Promise.resolve().then(() => handler(req, res)).catch((e: unknown) => {
      process.stderr.write(`[fake ${name}] internal error on ${req.method} ${String(req.url).slice(0, 100)}: ${e instanceof Error ? e.message : 'a non-Error was thrown'}\n`);
      if (res.headersSent) { res.destroy(); return; }
      internalError(res);
    });
  };
}
