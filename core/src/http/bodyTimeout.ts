import type { IncomingMessage, ServerResponse } from 'node:http';
import { codes } from '../api/codes.js';

export interface BodyTimeouts {
  /** No byte of the body for this long: 408 (default 30 s). */
  idleMs: number;
  /** The whole body must have arrived by then, however it trickles (default 15 min: large uploads over slow links). */
  totalMs: number;
}

export const DEFAULT_BODY_TIMEOUTS: BodyTimeouts = { idleMs: 30_000, totalMs: 15 * 60_000 };

/**
 * Bounds how long a request body may take (the server's own requestTimeout is off: SSE streams and long answers are
 * legitimate). Only requests that announce a body are watched; the idle timer is the socket's own (reset by every
 * byte), the total one a timer cleared when the body ended. On expiry the client gets 408 when nothing was answered
 * yet, and the connection is closed either way (the rest of the body would be read as the next request).
 */
export function watchRequestBody(req: IncomingMessage, res: ServerResponse, t: BodyTimeouts): void {
  const h = req.headers;
  if (!h['transfer-encoding'] && !(Number(h['content-length']) > 0)) return;
  const socket = req.socket;
  let total: NodeJS.Timeout | undefined;
  const expire = (what: string) => {
    clearTimeout(total);
    if (req.complete) return;
    if (!res.headersSent && !res.writableEnded) {
      const body = JSON.stringify({ type: 'about:blank', title: 'Request Timeout', status: 408, code: codes.BODY_TIMEOUT, detail: `the request body ${what}` });
      res.writeHead(408, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1_000).unref();
    } else {
      socket.destroy();
    }
  };
  const ended = () => {
    clearTimeout(total);
    req.off('timeout', onIdle);
    // Back to no timeout for the answer (an upstream may think for minutes). Once the answer is out, the socket's timeout
    // is Node's keep-alive one: leave it.
    if (!socket.destroyed && !res.writableFinished) socket.setTimeout(0);
  };
  const onIdle = () => expire(`sent nothing for ${Math.round(t.idleMs / 1000)} s`);
  socket.setTimeout(t.idleMs);
  req.once('timeout', onIdle);
  total = setTimeout(() => expire(`did not arrive within ${Math.round(t.totalMs / 1000)} s`), t.totalMs);
  total.unref();
  req.once('end', ended);
  req.once('close', ended);
  res.once('close', ended);
}
