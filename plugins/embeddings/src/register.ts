import { z } from 'zod';
import { SparkError, validationError, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { EmbeddingsConfig } from './config.js';
import { checkFilterKeys, filterSchema } from './filters.js';
import { pipelinedIngest } from './ingest.js';
import { collectionPath, uuidV5 } from './names.js';

const sparse = z.object({ indices: z.array(z.number().int().nonnegative()), values: z.array(z.number()) });
const embedResponse = z.object({ data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()).optional(), sparse: sparse.optional() })), model: z.string().optional(), usage: z.unknown().optional() });
const rerankResponse = z.object({ results: z.array(z.object({ index: z.number().int(), relevance_score: z.number(), document: z.unknown().optional() })).optional(), data: z.array(z.object({ index: z.number().int(), relevance_score: z.number() })).optional(), model: z.string().optional() });
const qdrantEnvelope = <T extends z.ZodType>(r: T) => z.object({ result: r, status: z.unknown().optional(), time: z.number().optional() });
const nameParams = z.object({ name: z.string().max(300) });

const embeddingsBody = z.object({
  input: z.union([z.string(), z.array(z.string()).min(1, 'give at least one input')]),
  model: z.string().max(200).optional(),
  /** The official openai client asks for base64 (little-endian float32) by default. */
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Extension: which bge-m3 outputs to return; `sparse` gives lexical weights as indices/values. */
  output: z.array(z.enum(['dense', 'sparse'])).min(1).max(2).optional(),
});
const rerankBody = z.object({
  query: z.string().min(1, 'required').max(8000),
  documents: z.array(z.string().max(32_000)).min(1, 'give at least one document').max(1000),
  top_n: z.number().int().min(1).max(1000).optional(),
  return_documents: z.boolean().optional(),
  /** Default false: raw logits, as the previous service returned (e.g. 5.21). true: sigmoid → 0..1. */
  normalize: z.boolean().default(false),
  model: z.string().max(200).optional(),
});
const ingestBody = z.object({
  items: z.array(z.object({ id: z.union([z.string().min(1).max(500), z.number().int()]), text: z.string().min(1, 'required').max(200_000), payload: z.record(z.string(), z.unknown()).optional() })).min(1, 'give at least one item').max(10_000),
});
const searchBody = z.object({
  collection: z.string().max(300),
  query: z.string().min(1, 'required').max(8000),
  mode: z.enum(['dense', 'sparse', 'hybrid']).default('hybrid'),
  fusion: z.enum(['rrf', 'dbsf']).default('rrf'),
  /** RRF weights for [dense, sparse]. */
  weights: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).optional(),
  limit: z.number().int().min(1).max(200).default(10),
  prefetch_limit: z.number().int().min(1).max(1000).default(50),
  filter: filterSchema.optional(),
  rerank: z.object({ top_n: z.number().int().min(1).max(200) }).optional(),
  with_payload: z.boolean().default(true),
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function registerEmbeddings(ctx: PluginContext<EmbeddingsConfig>): void {
  const cfg = () => ctx.config.get();
  const embedUp = (): UpstreamRef => { const e = ctx.cluster.service('embeddings'); return { service: 'embeddings', hostId: e.hostId, baseUrl: e.baseUrl }; };
  const qdrantUp = (): UpstreamRef => { const e = ctx.cluster.service('qdrant'); return { service: 'qdrant', hostId: e.hostId, baseUrl: e.baseUrl }; };

  /** Qdrant REST call through the kernel's HTTP layer (timeouts, 502/503/504 naming qdrant and host). */
  async function qdrant<T extends z.ZodType>(method: string, path: string, schema: T, json?: unknown): Promise<z.output<T>> {
    const r = await ctx.http.request(qdrantUp(), path, { method, ...(json !== undefined ? { json } : {}), timeoutMs: cfg().qdrantTimeoutMs });
    const text = await new Promise<string>((resolve, reject) => { let s = ''; r.body.on('data', (d) => (s += d)).on('end', () => resolve(s)).on('error', reject); });
    let body: unknown;
    try { body = JSON.parse(text); } catch { throw new SparkError('EMBEDDINGS_QDRANT_GARBAGE', `qdrant on ${qdrantUp().hostId} sent a response that is not JSON`, { status: 502 }); }
    if (r.status === 404) throw new SparkError('EMBEDDINGS_NOT_FOUND', 'no such collection', { status: 404 });
    if (r.status >= 400) {
      const msg = (body as { status?: { error?: string } })?.status?.error ?? `status ${r.status}`;
      throw new SparkError('EMBEDDINGS_QDRANT_ERROR', `qdrant refused the request: ${msg.slice(0, 200)}`, { status: r.status >= 500 ? 502 : 400 });
    }
    const p = qdrantEnvelope(schema).safeParse(body);
    if (!p.success) throw new SparkError('EMBEDDINGS_QDRANT_SCHEMA', 'qdrant sent an unexpected response', { status: 502 });
    return (p.data as { result: z.output<T> }).result;
  }

  async function embed(texts: string[], output: Array<'dense' | 'sparse'>) {
    const c = cfg();
    const out: Array<{ embedding?: number[]; sparse?: z.output<typeof sparse> }> = [];
    for (let i = 0; i < texts.length; i += c.maxBatch) {
      const batch = texts.slice(i, i + c.maxBatch);
      const r = await ctx.http.fetchJson(embedUp(), '/v1/embeddings', embedResponse, { method: 'POST', json: { input: batch, model: 'BAAI/bge-m3', output }, timeoutMs: c.embedTimeoutMs });
      const sorted = [...r.data].sort((a, b) => a.index - b.index);
      if (sorted.length !== batch.length) throw new SparkError('EMBEDDINGS_UPSTREAM_COUNT', 'the embedding service returned a different number of vectors', { status: 502 });
      out.push(...sorted);
    }
    return out;
  }

  function checkInputs(texts: string[]) {
    const c = cfg();
    if (texts.length > c.maxBatch * 32) throw new SparkError('EMBEDDINGS_TOO_MANY', `at most ${c.maxBatch * 32} inputs per request`, { status: 413, details: { errors: [{ field: 'input', message: 'too many inputs' }] } });
    const long = texts.findIndex((t) => t.length > c.maxInputChars);
    if (long >= 0) throw new SparkError('EMBEDDINGS_INPUT_TOO_LONG', `input ${long} is longer than ${c.maxInputChars} characters`, { status: 413, details: { errors: [{ field: `input.${long}`, message: 'too long' }] } });
    if (texts.some((t) => t.length === 0)) throw validationError([{ field: 'input', message: 'inputs must not be empty' }]);
  }

  // OpenAI-shaped embeddings (+ bge-m3 sparse extension).
  ctx.publicRoutes('/v1/embeddings').add({ method: 'POST', path: '', body: embeddingsBody, errorStyle: 'openai', maxBodyBytes: 16 * 1024 * 1024, summary: 'Embeddings (OpenAI shape; output: ["dense","sparse"] extension)' }, async (c) => {
    const texts = typeof c.body.input === 'string' ? [c.body.input] : c.body.input;
    checkInputs(texts);
    const output = c.body.output ?? ['dense'];
    const vecs = await embed(texts, output);
    const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    return {
      object: 'list', model: c.body.model ?? 'BAAI/bge-m3',
      data: vecs.map((v, index) => ({
        object: 'embedding', index,
        ...(output.includes('dense') ? { embedding: c.body.encoding_format === 'base64' && v.embedding ? Buffer.from(new Float32Array(v.embedding).buffer).toString('base64') : v.embedding } : {}),
        ...(output.includes('sparse') ? { sparse: v.sparse } : {}),
      })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  async function rerank(query: string, documents: string[], top_n: number | undefined, normalize: boolean, return_documents?: boolean) {
    const r = await ctx.http.fetchJson(embedUp(), '/v1/rerank', rerankResponse, { method: 'POST', json: { query, documents, top_n, return_documents }, timeoutMs: cfg().embedTimeoutMs });
    const list = r.results ?? r.data ?? []; // older builds put the list under `data`
    return { object: 'rerank.result', model: r.model ?? 'BAAI/bge-reranker-v2-m3', normalized: normalize, results: list.map((x) => ({ ...x, relevance_score: normalize ? sigmoid(x.relevance_score) : x.relevance_score })).sort((a, b) => b.relevance_score - a.relevance_score) };
  }
  ctx.publicRoutes('/v1/rerank').add({ method: 'POST', path: '', body: rerankBody, errorStyle: 'openai', maxBodyBytes: 16 * 1024 * 1024, summary: 'Rerank documents (normalize: sigmoid vs raw logit; default raw)' }, (c) =>
    rerank(c.body.query, c.body.documents, c.body.top_n, c.body.normalize, c.body.return_documents));

  // Collections.
  const collections = ctx.publicRoutes('/api/collections');
  async function listCollections() {
    const list = await qdrant('GET', '/collections', z.object({ collections: z.array(z.object({ name: z.string() })) }));
    return { collections: await Promise.all(list.collections.map(async (col) => ({ name: col.name, points: await qdrant('POST', `/collections/${encodeURIComponent(col.name)}/points/count`, z.object({ count: z.number() }), { exact: true }).then((x) => x.count, () => null) }))) };
  }
  collections.add({ method: 'GET', path: '', summary: 'Collections with point counts' }, () => listCollections());
  collections.add({ method: 'PUT', path: '/:name', params: nameParams, body: z.object({ payload_indexes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/), z.enum(['keyword', 'integer', 'float', 'bool', 'datetime', 'text'])).optional() }).optional(), summary: 'Ensure a collection (dense 1024 cosine + sparse, payload indexes)' }, async (c) => {
    const path = collectionPath(c.params.name);
    const exists = await qdrant('GET', `${path}/exists`, z.object({ exists: z.boolean() }));
    if (!exists.exists) {
      await qdrant('PUT', path, z.unknown(), { vectors: { dense: { size: cfg().denseSize, distance: 'Cosine' } }, sparse_vectors: { sparse: {} } });
    }
    const indexes = { ...cfg().payloadIndexes, ...(c.body?.payload_indexes ?? {}) };
    for (const [field_name, field_schema] of Object.entries(indexes)) await qdrant('PUT', `${path}/index?wait=true`, z.unknown(), { field_name, field_schema });
    c.status(exists.exists ? 200 : 201);
    return { name: c.params.name, created: !exists.exists, payload_indexes: indexes };
  });
  collections.add({ method: 'GET', path: '/:name', params: nameParams, summary: 'One collection' }, async (c) => {
    const path = collectionPath(c.params.name);
    const info = await qdrant('GET', path, z.object({ points_count: z.number().nullable().optional(), status: z.string().optional(), payload_schema: z.unknown().optional() }));
    return { name: c.params.name, points: info.points_count ?? null, status: info.status, payload_schema: info.payload_schema };
  });
  collections.add({ method: 'DELETE', path: '/:name', params: nameParams, summary: 'Delete a collection' }, async (c) => {
    await qdrant('DELETE', collectionPath(c.params.name), z.unknown());
    return { deleted: c.params.name };
  });
  collections.add({ method: 'POST', path: '/:name/points', params: nameParams, body: ingestBody, maxBodyBytes: 64 * 1024 * 1024, summary: 'Embed and upsert {id, text, payload} items' }, async (c) => {
    const path = collectionPath(c.params.name);
    const t0 = performance.now();
    const items = c.body.items;
    checkInputs(items.map((i) => i.text));
    const { ingestBatch, ingestDepth, maxBatch } = cfg();
    const { embedMs, upsertMs } = await pipelinedIngest(items, {
      batchSize: Math.min(ingestBatch, maxBatch), depth: ingestDepth,
      embed: (chunk) => embed(chunk.map((x) => x.text), ['dense', 'sparse']),
      upsert: (chunk, vecs) => qdrant('PUT', `${path}/points?wait=true`, z.unknown(), {
        points: chunk.map((it, k) => ({ id: uuidV5(String(it.id)), vector: { dense: vecs[k].embedding, sparse: vecs[k].sparse }, payload: { ...(it.payload ?? {}), doc_id: String(it.id), text: it.text } })),
      }).then(() => undefined),
      undo: (written) => qdrant('POST', `${path}/points/delete?wait=true`, z.unknown(), { points: [...new Set(written.map((it) => uuidV5(String(it.id))))] }).then(() => undefined),
    });
    const upserted = items.length;
    return { collection: c.params.name, upserted, ids: items.map((i) => ({ id: i.id, point_id: uuidV5(String(i.id)) })), timings_ms: { embed: Math.round(embedMs), upsert: Math.round(upsertMs), total: Math.round(performance.now() - t0) } };
  });

  async function search(b: z.output<typeof searchBody>) {
    const path = collectionPath(b.collection);
    const keyErrors = checkFilterKeys(b.filter, cfg().filterKeys);
    if (keyErrors.length) throw validationError(keyErrors);
    const t: Record<string, number> = {};
    let t0 = performance.now();
    const [v] = await embed([b.query], b.mode === 'dense' ? ['dense'] : b.mode === 'sparse' ? ['sparse'] : ['dense', 'sparse']);
    t.embed = performance.now() - t0;
    const limit = b.rerank ? Math.max(b.limit, b.rerank.top_n) : b.limit;
    const dense = { query: v.embedding, using: 'dense', limit: b.prefetch_limit };
    const sp = { query: v.sparse, using: 'sparse', limit: b.prefetch_limit };
    const request = b.mode === 'hybrid'
      ? { prefetch: [dense, sp], query: b.weights ? { rrf: { weights: b.weights } } : { fusion: b.fusion }, limit, filter: b.filter, with_payload: b.with_payload }
      : { ...(b.mode === 'dense' ? dense : sp), limit, filter: b.filter, with_payload: b.with_payload };
    t0 = performance.now();
    const res = await qdrant('POST', `${path}/points/query`, z.object({ points: z.array(z.object({ id: z.union([z.string(), z.number()]), score: z.number(), payload: z.record(z.string(), z.unknown()).nullable().optional() })) }), request);
    t.search = performance.now() - t0;
    let points = res.points.map((p) => ({ id: p.id, doc_id: p.payload?.doc_id ?? null, score: p.score, payload: p.payload ?? undefined }));
    if (b.rerank && points.length) {
      t0 = performance.now();
      const top = points.slice(0, b.rerank.top_n);
      const rr = await rerank(b.query, top.map((p) => String(p.payload?.text ?? '')), top.length, true);
      points = [...rr.results.map((r) => ({ ...top[r.index], rerank_score: r.relevance_score })), ...points.slice(b.rerank.top_n)];
      t.rerank = performance.now() - t0;
    }
    return { collection: b.collection, mode: b.mode, fusion: b.mode === 'hybrid' ? (b.weights ? 'rrf-weighted' : b.fusion) : null, results: points.slice(0, b.limit), timings_ms: Object.fromEntries(Object.entries(t).map(([k, x]) => [k, Math.round(x * 10) / 10])) };
  }
  ctx.publicRoutes('/api/search').add({ method: 'POST', path: '', body: searchBody, summary: 'Dense, sparse or hybrid search with optional rerank' }, (c) => search(c.body));
  ctx.routes.add({ method: 'POST', path: '/search', body: searchBody, summary: 'Same as /api/search (tile)' }, (c) => search(c.body));
  ctx.routes.add({ method: 'GET', path: '/collections', summary: 'Same as GET /api/collections (tile)' }, () => listCollections());

  for (const [name, up, path] of [['embeddings', embedUp, '/health'], ['qdrant', qdrantUp, '/healthz']] as const) {
    ctx.health.register({
      name, service: name, intervalMs: 30_000, timeoutMs: 3000,
      check: async (signal) => {
        const r = await ctx.http.request(up(), path, { timeoutMs: 2500, signal });
        r.body.resume();
        return r.status === 200 ? { status: 'up' } : { status: 'down', detail: `HTTP ${r.status}` };
      },
    });
  }
  ctx.tiles.register({ tag: 'spark-embeddings-tile', module: 'tile.js', title: 'Embeddings & search', order: 40 });
}
