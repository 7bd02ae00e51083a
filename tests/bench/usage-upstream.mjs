// Fake model server for the accounting benchmark, in its own process: every request is answered after 20 ms (the
// issue's LLM-like upstream) with a chat completion shaped as vLLM's, `usage` included, so the proxy's usage tap has
// something real to read.
import { createServer } from 'node:http';
let n = 0;
const server = createServer((req, res) => {
  req.resume();
  setTimeout(() => {
    n++;
    const body = JSON.stringify({ id: `chatcmpl-${n}`, object: 'chat.completion', created: 0, model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, total_tokens: 19, completion_tokens: 7 } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }, 20);
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
