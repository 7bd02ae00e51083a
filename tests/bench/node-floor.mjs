// The floor for any Node proxy on this machine: a bare node:http server forwarding with undici dispatch() — no
// framework, no guards, no metrics, no headers of its own. The kernel bench runs it beside Spark Control so the table
// shows how much of the gap to nginx is Node itself and how much is Spark Control. argv: upstream URL; prints its port.
import { createServer } from 'node:http';
import { Agent, util } from 'undici';

const origin = process.argv[2];
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4096, connect: { timeout: 5_000, noDelay: true } });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const server = createServer((req, res) => {
  let resume;
  agent.dispatch({ origin, path: req.url, method: req.method, headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}, body: req.method === 'GET' ? undefined : req }, {
    onConnect() {},
    onHeaders(status, raw, resumeUpstream) {
      resume = resumeUpstream;
      res.statusCode = status;
      const h = util.parseHeaders(raw);
      for (const k in h) if (!HOP.has(k)) res.setHeader(k, h[k]);
      return true;
    },
    onData(chunk) {
      if (res.write(chunk)) return true;
      res.once('drain', () => resume());
      return false;
    },
    onComplete() { res.end(); },
    onError() { if (!res.headersSent) res.statusCode = 502; res.end(); },
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
