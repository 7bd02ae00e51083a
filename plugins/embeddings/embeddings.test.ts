import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['embeddings'] });
});
afterAll(async () => { await k?.stop(); });

const j = async (method: string, path: string, body?: unknown) => {
  const r = await k.fetch(path, { method, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, body: body !== undefined ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json().catch(() => null) };
};

const CORPUS = [
  { id: 'a', text: 'Pump error code E-4711 means the impeller is blocked; clear it and restart.', payload: { tenant: 'acme', source: 'manual' } },
  { id: 'b', text: 'Pumps and their errors: overview of pumps, errors and codes for troubleshooting pumps.', payload: { tenant: 'acme', source: 'faq' } },
  { id: 'c', text: 'Invoice questions go to the billing team within two weeks.', payload: { tenant: 'acme', source: 'faq' } },
  { id: 'd', text: 'Pump maintenance schedule: check seals, oil and filters every month.', payload: { tenant: 'other', source: 'manual' } },
];

describe('embeddings proxy', () => {
  it('answers the official openai client (dense) and the sparse extension', async () => {
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const r = await client.embeddings.create({ model: 'bge-m3', input: ['hello world', 'second'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding).toHaveLength(1024);
    const norm = Math.hypot(...r.data[0].embedding);
    expect(norm).toBeCloseTo(1, 3);
    const both = await j('POST', '/v1/embeddings', { input: 'code E-4711', output: ['dense', 'sparse'] });
    expect(both.body.data[0].sparse.indices.length).toBe(both.body.data[0].sparse.values.length);
    expect(both.body.data[0].sparse.indices.length).toBeGreaterThan(0);
  });

  it('reranks with raw logits by default and sigmoid when normalize is true', async () => {
    const raw = await j('POST', '/v1/rerank', { query: 'pump error E-4711', documents: ['billing team', 'pump error code E-4711 impeller'] });
    expect(raw.body.results[0].index).toBe(1);
    expect(raw.body.results[0].relevance_score).toBeGreaterThan(1);
    const norm = await j('POST', '/v1/rerank', { query: 'pump error E-4711', documents: ['billing team', 'pump error code E-4711 impeller'], normalize: true });
    expect(norm.body.results[0].relevance_score).toBeGreaterThan(0.5);
    expect(norm.body.results[0].relevance_score).toBeLessThan(1);
  });

  it('refuses bad input: 400 for wrong types, 413 for too long, OpenAI error envelope', async () => {
    const wrong = await j('POST', '/v1/embeddings', { input: 42 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.param).toBe('input');
    const long = await j('POST', '/v1/embeddings', { input: 'x'.repeat(40_000) });
    expect(long.status).toBe(413);
    const empty = await j('POST', '/v1/rerank', { query: 'q', documents: [] });
    expect(empty.status).toBe(400);
  });
});

describe('collections and hybrid search', () => {
  it('creates a collection, ingests with deterministic UUIDv5 ids, and hybrid beats dense on an exact-term query', async () => {
    expect((await j('PUT', '/api/collections/docs')).status).toBe(201);
    expect((await j('PUT', '/api/collections/docs')).status).toBe(200); // idempotent
    const ing = await j('POST', '/api/collections/docs/points', { items: CORPUS });
    expect(ing.status).toBe(200);
    expect(ing.body.upserted).toBe(4);
    const again = await j('POST', '/api/collections/docs/points', { items: CORPUS.slice(0, 1) });
    expect(again.body.ids[0].point_id).toBe(ing.body.ids[0].point_id);
    expect((await j('GET', '/api/collections/docs')).body.points).toBe(4);

    const q = { collection: 'docs', query: 'pump error E-4711', limit: 3 };
    const dense = await j('POST', '/api/search', { ...q, mode: 'dense' });
    const hybrid = await j('POST', '/api/search', { ...q, mode: 'hybrid' });
    expect(dense.body.results[0].doc_id).toBe('b'); // the generic pump text wins on meaning alone
    expect(hybrid.body.results[0].doc_id).toBe('a'); // the exact code pulls the right one up
    expect(Object.keys(hybrid.body.timings_ms)).toEqual(['embed', 'search']);
    const dbsf = await j('POST', '/api/search', { ...q, fusion: 'dbsf' });
    expect(dbsf.body.results[0].doc_id).toBe('a');
    const reranked = await j('POST', '/api/search', { ...q, rerank: { top_n: 3 } });
    expect(reranked.body.results[0].doc_id).toBe('a');
    expect(reranked.body.timings_ms.rerank).toBeGreaterThanOrEqual(0);
  });

  it('applies allowed filters and refuses others with field errors', async () => {
    const f = await j('POST', '/api/search', { collection: 'docs', query: 'pump', filter: { must: [{ key: 'tenant', match: { value: 'other' } }] } });
    expect(f.body.results.map((r: { doc_id: string }) => r.doc_id)).toEqual(['d']);
    const badKey = await j('POST', '/api/search', { collection: 'docs', query: 'pump', filter: { must: [{ key: 'secret_field', match: { value: 'x' } }] } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.errors[0].field).toBe('filter.must.0.key');
    const badOp = await j('POST', '/api/search', { collection: 'docs', query: 'pump', filter: { must: [{ key: 'tenant', regex: '.*' }] } });
    expect(badOp.status).toBe(400);
  });

  it('never lets a hostile collection name reach a different Qdrant path', async () => {
    const ports = k.sim!.servicePorts;
    const before = await (await fetch(`http://127.0.0.1:${ports.qdrant.port}/collections`)).json();
    // ('.' alone is resolved away by the URL parser before it is sent, so it cannot be tried over HTTP.)
    const hostile = ['..', '%2e%2e', '../..', 'a/b', 'a?b', 'a#b', 'ünïcode', 'x'.repeat(64), '-lead', 'a b', '%2F', 'docs%00', 'a\\b'];
    let refused = 0;
    for (const name of hostile) {
      for (const [method, path] of [['PUT', `/api/collections/${encodeURIComponent(name)}`], ['GET', `/api/collections/${encodeURIComponent(name)}`], ['DELETE', `/api/collections/${encodeURIComponent(name)}`], ['POST', `/api/collections/${encodeURIComponent(name)}/points`]] as const) {
        const r = await j(method, path, method === 'POST' ? { items: [{ id: 1, text: 'x' }] } : undefined);
        expect(r.status, `${method} ${name}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${name}`).toBeLessThan(500);
        if (r.body?.code === 'invalid_collection_name') refused++;
      }
      const s = await j('POST', '/api/search', { collection: name, query: 'x' });
      expect(s.status).toBe(400);
      expect(s.body.code).toBe('invalid_collection_name');
    }
    expect(refused).toBeGreaterThan(hostile.length * 3);
    const after = await (await fetch(`http://127.0.0.1:${ports.qdrant.port}/collections`)).json();
    expect(after).toEqual(before);
    // Every path the fake Qdrant ever received names an allowed collection (or none).
    const seen: string[] = await (await fetch(`http://127.0.0.1:${ports.qdrant.port}/__sim/paths`)).json();
    expect(seen.length).toBeGreaterThan(10);
    for (const p of seen) expect(p).toMatch(/^(GET|PUT|POST|DELETE) \/(healthz|collections(\/[A-Za-z0-9][A-Za-z0-9_-]{0,62}(\/(exists|index|points|points\/query|points\/count|points\/scroll))?)?)(\?wait=true)?$/);
  });

  it('answers 503 naming the service when Qdrant is down', async () => {
    const kk = await createTestKernel({ plugins: ['embeddings'], simulate: false, config: { hosts: [{ id: 'spark-2', name: 'S2', address: '127.0.0.1' }], services: { qdrant: { hostId: 'spark-2', port: 9 }, embeddings: { hostId: 'spark-2', port: 9 } } } });
    try {
      const r = await kk.fetch('/api/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collection: 'docs', query: 'x' }) });
      expect(r.status).toBe(503);
      expect((await r.json()).detail).toMatch(/embeddings on spark-2/);
      const q = await kk.fetch('/api/collections');
      expect(q.status).toBe(503);
      expect((await q.json()).detail).toMatch(/qdrant on spark-2/);
    } finally {
      await kk.stop();
    }
  });
});
