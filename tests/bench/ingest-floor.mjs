// The floor for any Node process between an ingesting client and its two services: a bare node:http server that does
// what the direct path's client does (embed 64 items with one undici call, upsert them with wait, the next 64) and
// answers, with no validation, point ids, guards, metrics or logs. The embeddings bench runs it beside Spark Control so
// the table shows how much of the gap to the direct path one more Node hop costs on this machine.
// argv: embedding service URL, Qdrant URL, collection; prints its port.
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const [embedUrl, qdrantUrl, collection] = process.argv.slice(2);
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4096, connect: { timeout: 5_000, noDelay: true } });
const call = async (url, method, body) => {
  const r = await request(url, { method, dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), headersTimeout: 60_000, bodyTimeout: 60_000 });
  return r.body.json();
};
// Qdrant's point ids: a number per item id, the same on every re-ingest (as the direct path's).
const ids = new Map();
const pointId = (id) => { if (!ids.has(id)) ids.set(id, ids.size + 1); return ids.get(id); };
const server = createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d)).on('end', async () => {
    const { items } = JSON.parse(text);
    for (let j = 0; j < items.length; j += 64) {
      const part = items.slice(j, j + 64);
      const e = await call(`${embedUrl}/v1/embeddings`, 'POST', { input: part.map((x) => x.text), output: ['dense', 'sparse'] });
      await call(`${qdrantUrl}/collections/${collection}/points?wait=true`, 'PUT', { points: part.map((x, n) => ({ id: pointId(x.id), vector: { dense: e.data[n].embedding, sparse: e.data[n].sparse }, payload: x.payload })) });
    }
    const out = JSON.stringify({ upserted: items.length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
