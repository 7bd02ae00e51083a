// Fake upstream for the proxy benchmarks, run as its own process so it never shares an event loop with the proxy.
// Routes: /fast (answers at once), /slow (after 20 ms, LLM-like), /jitter (after 15–25 ms, mean 20), /sse (first chunk at once, then 1/s), /upload (counts bytes).
import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url.startsWith('/jitter')) {
    setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true,"kind":"jitter"}'); }, 15 + Math.random() * 10);
  } else if (req.url.startsWith('/slow')) {
    setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true,"kind":"slow"}'); }, 20);
  } else if (req.url.startsWith('/sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    const t = setInterval(() => res.write('data: tick\n\n'), 1000);
    res.on('close', () => clearInterval(t));
  } else if (req.url.startsWith('/upload')) {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ bytes: n })); });
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true,"kind":"fast"}');
  }
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 5000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
