// Token-stream upstream for the stream benchmark, in its own process. GET or POST …/stream/<tokens per second> streams
// argv[3] (default 150) OpenAI chat.completion.chunk events, then `data: [DONE]`. Like vLLM, which advances every
// running sequence by one token per engine step, one ticker per rate writes the next chunk of each of its open streams
// at once. Each chunk carries `t`, its send time in ms on the shared clock (performance.timeOrigin + performance.now()),
// so the client can measure each chunk's delay on the way.
import { createServer } from 'node:http';

const tokens = Math.max(1, Number(process.argv[3] ?? 150));
/** rate → the streams at that rate and their ticker. */
const tickers = new Map();
const now = () => performance.timeOrigin + performance.now();

function tickerFor(rate) {
  let t = tickers.get(rate);
  if (t) return t;
  const open = new Set();
  const timer = setInterval(() => {
    for (const s of open) {
      if (s.left === 0) {
        s.res.end('data: [DONE]\n\n');
        open.delete(s);
        continue;
      }
      s.left--;
      s.res.write(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"t":${now().toFixed(3)}}\n\n`);
    }
  }, 1000 / rate);
  t = { open, timer };
  tickers.set(rate, t);
  return t;
}

const server = createServer((req, res) => {
  req.resume();
  const m = /\/stream\/(\d+(?:\.\d+)?)$/.exec(req.url);
  const rate = m ? Number(m[1]) : NaN;
  if (!(rate > 0 && rate <= 1000)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const s = { res, left: tokens };
  const { open } = tickerFor(rate);
  open.add(s);
  res.on('close', () => open.delete(s));
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 10_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
