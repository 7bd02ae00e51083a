import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { uuidV5 } from './src/names.js';

/** An embedding service that answers pretty-printed, out of index order, with numbers written as no JSON.stringify
 *  writes them; and a Qdrant that records what it was sent. Upserts and searches must carry each text's own vector. */
const vectorOf = (text: string) => [text.length + 0.5, -text.length / 1e7, 1];
const numberText = (x: number) => (Number.isInteger(x) ? `${x}.000` : String(x).replace(/e-(\d)$/, 'E-0$1'));
let embedAnswer: (input: string[]) => string = (input) => `{\n  "model": "x\\"embedding\\":[0]",\n  "data": [\n${input.map((t, index) => ({ t, index })).reverse()
  .map(({ t, index }) => `    { "index": ${index}, "embedding": [ ${vectorOf(t).map(numberText).join(', ')} ], "sparse": { "indices": [${index}], "values": [0.5] } }`).join(',\n')}\n  ]\n}`;
const received: Array<{ path: string; text: string }> = [];

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
const read = (req: NodeJS.ReadableStream) => new Promise<string>((r) => { let s = ''; req.on('data', (d) => (s += d)).on('end', () => r(s)); });
const embedder = createServer(async (req, res) => {
  const body = JSON.parse(await read(req)) as { input: string[] };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(embedAnswer(body.input));
});
const qdrant = createServer(async (req, res) => {
  received.push({ path: `${req.method} ${req.url}`, text: await read(req) });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ result: req.url?.endsWith('/points/query') ? { points: [] } : { status: 'completed' }, status: 'ok', time: 0 }));
});

let k: TestKernel;
beforeAll(async () => {
  const [e, q] = [await listen(embedder), await listen(qdrant)];
  k = await createTestKernel({ plugins: ['embeddings'], simulate: false, config: { hosts: [{ id: 'spark-2', name: 'S2', address: '127.0.0.1' }], services: { embeddings: { hostId: 'spark-2', port: e }, qdrant: { hostId: 'spark-2', port: q } } } });
});
afterAll(async () => { await k?.stop(); embedder.close(); qdrant.close(); });

const post = async (path: string, body: unknown) => {
  const r = await k.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

describe('vectors passed on as the embedding service wrote them', () => {
  it('an upsert carries each item\'s own vector, in the service\'s own number text', async () => {
    received.length = 0;
    const items = [{ id: 'a', text: 'one' }, { id: 7, text: 'three', payload: { tenant: 't' } }, { id: 'c', text: 'fivefive' }];
    const r = await post('/api/collections/docs/points', { items });
    expect(r.status).toBe(200);
    const puts = received.filter((x) => x.path === 'PUT /collections/docs/points?wait=true');
    expect(puts).toHaveLength(1);
    const sent = JSON.parse(puts[0].text) as { points: Array<{ id: string; vector: { dense: number[]; sparse: unknown }; payload: Record<string, unknown> }> };
    expect(sent.points.map((p) => p.id)).toEqual(items.map((i) => uuidV5(String(i.id))));
    sent.points.forEach((p, n) => {
      expect(p.vector.dense).toEqual(vectorOf(items[n].text));
      expect(p.vector.sparse).toEqual({ indices: [n], values: [0.5] });
      expect(p.payload).toEqual({ ...(items[n].payload ?? {}), doc_id: String(items[n].id), text: items[n].text });
    });
    expect(puts[0].text).toContain('[ 3.5, -3E-07, 1.000 ]');
  });

  it('a search sends the query\'s vector as the service wrote it, in every mode', async () => {
    for (const mode of ['hybrid', 'dense', 'sparse'] as const) {
      received.length = 0;
      const r = await post('/api/search', { collection: 'docs', query: 'four', mode, limit: 3, filter: { must: [{ key: 'tenant', match: { value: 'x' } }] } });
      expect(r.status, mode).toBe(200);
      const q = JSON.parse(received[0].text) as Record<string, unknown>;
      const dense = { query: vectorOf('four'), using: 'dense' };
      const sparse = { query: { indices: [0], values: [0.5] }, using: 'sparse', limit: 50 };
      const rest = { limit: 3, filter: { must: [{ key: 'tenant', match: { value: 'x' } }] }, with_payload: true };
      if (mode === 'hybrid') expect(q).toEqual({ prefetch: [{ ...dense, limit: 50 }, sparse], query: { fusion: 'rrf' }, ...rest });
      else if (mode === 'dense') expect(q).toEqual({ ...dense, ...rest });
      else expect(q).toEqual({ ...sparse, ...rest });
    }
  });

  it('a vector the service sent that is no finite number list fails the request naming its items, storing nothing', async () => {
    const before = embedAnswer;
    embedAnswer = (input) => JSON.stringify({ data: input.map((_, index) => ({ index, embedding: [1, 2], sparse: { indices: [1], values: [1] } })) }).replace('[1,2]', '[1,1e999]');
    try {
      received.length = 0;
      const r = await post('/api/collections/docs/points', { items: [{ id: 'a', text: 'one' }, { id: 'b', text: 'two' }] });
      expect(r.status).toBe(502);
      expect(r.body.errors).toEqual([{ field: 'items.0', message: 'embedding items 0–1 failed' }]);
      expect(r.body.detail).toMatch(/nothing was stored/);
      expect(received).toEqual([]);
    } finally {
      embedAnswer = before;
    }
  });
});
