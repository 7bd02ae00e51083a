// The floor for any Node proxy on this machine: a bare node:http server forwarding with undici dispatch() — no
// framework, no guards, no metrics, no headers of its own. The kernel bench runs it beside Spark Control so the table
// shows how much of the gap to nginx is Node itself and how much is Spark Control. argv: upstream URL, optional
// number of worker processes (node:cluster sharing one port: whether a second process buys anything on this machine);
// prints its port.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { Agent, util } from 'undici';

const origin = process.argv[2];
const workers = Math.max(1, Number(process.argv[3] ?? 1));
if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (_w, address) => { if (++listening === workers) process.stdout.write(`${address.port}\n`); });
  // The workers share the primary's port: each listen(0) in a worker resolves to the same one.
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM'); process.exit(0); });
} else {
  serve();
}

function serve() {
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
  server.listen(0, '127.0.0.1', () => { if (cluster.isPrimary) process.stdout.write(`${server.address().port}\n`); });
}
