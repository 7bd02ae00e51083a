import { z } from 'zod';
import { SparkError, validationError, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { EmbeddingsConfig } from './config.js';
import { checkFilterKeys } from './filters.js';
import { collectionPath } from './names.js';
import { embeddingTexts, endsMatch, JsonText, objectJson } from './vectorText.js';
import { embedResponse, qdrantCollections, qdrantCount, qdrantEnvelope, qdrantQueryResult, rerankResponse, type searchBody, type sparse } from './schemas.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The plugin's calls to its two upstreams (the embedding service and Qdrant) and the search built on them; the
 *  routes (routes.ts) only parse and answer. */
export function createEmbeddingsClient(ctx: PluginContext<EmbeddingsConfig>) {
  const cfg = () => ctx.config.get();
  const embedUp = (): UpstreamRef => { const e = ctx.cluster.service('embeddings'); return { service: 'embeddings', hostId: e.hostId, baseUrl: e.baseUrl }; };
  const qdrantUp = (): UpstreamRef => { const e = ctx.cluster.service('qdrant'); return { service: 'qdrant', hostId: e.hostId, baseUrl: e.baseUrl }; };

  /** Qdrant REST call through the kernel's HTTP layer (timeouts, 502/503/504 naming qdrant and host). */
  async function qdrant<T extends z.ZodType>(method: string, path: string, schema: T, json?: unknown): Promise<z.output<T>> {
    const send = json instanceof JsonText ? { body: json.text, headers: { 'content-type': 'application/json' } } : json !== undefined ? { json } : {};
    const r = await ctx.http.request(qdrantUp(), path, { method, ...send, timeoutMs: cfg().qdrantTimeoutMs });
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
    return p.data.result;
  }

  /** The vectors of `texts` in their order, each dense one also as the JSON text the service sent (`denseText`), which
   *  upserts and searches pass on as it is (vectorText.ts). */
  async function embed(texts: string[], output: Array<'dense' | 'sparse'>) {
    const c = cfg();
    const out: Array<{ embedding?: number[]; denseText?: string; sparse?: z.output<typeof sparse> }> = [];
    for (let i = 0; i < texts.length; i += c.maxBatch) {
      const batch = texts.slice(i, i + c.maxBatch);
      const { value: r, text } = await ctx.http.fetchJsonText(embedUp(), '/v1/embeddings', embedResponse, { method: 'POST', json: { input: batch, model: 'BAAI/bge-m3', output }, timeoutMs: c.embedTimeoutMs });
      if (r.data.length !== batch.length) throw new SparkError('EMBEDDINGS_UPSTREAM_COUNT', 'the embedding service returned a different number of vectors', { status: 502 });
      const denseTexts = embeddingTexts(text);
      // (The scan agrees with JSON.parse on any answer JSON.parse accepts; should it ever not, the vector is serialised.)
      const vectors = r.data.map((v, pos) => v.embedding === undefined ? v : { ...v, denseText: endsMatch(denseTexts[pos] ?? '', v.embedding) ? denseTexts[pos] : JSON.stringify(v.embedding) });
      out.push(...vectors.sort((a, b) => a.index - b.index));
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

  async function rerank(query: string, documents: string[], top_n: number | undefined, normalize: boolean, return_documents?: boolean) {
    const r = await ctx.http.fetchJson(embedUp(), '/v1/rerank', rerankResponse, { method: 'POST', json: { query, documents, top_n, return_documents }, timeoutMs: cfg().embedTimeoutMs });
    const list = r.results ?? r.data ?? []; // older builds put the list under `data`
    return { object: 'rerank.result', model: r.model ?? 'BAAI/bge-reranker-v2-m3', normalized: normalize, results: list.map((x) => ({ ...x, relevance_score: normalize ? sigmoid(x.relevance_score) : x.relevance_score })).sort((a, b) => b.relevance_score - a.relevance_score) };
  }
  async function listCollections() {
    const list = await qdrant('GET', '/collections', qdrantCollections);
    return { collections: await Promise.all(list.collections.map(async (col) => ({ name: col.name, points: await qdrant('POST', `/collections/${encodeURIComponent(col.name)}/points/count`, qdrantCount, { exact: true }).then((x) => x.count, () => null) }))) };
  }
  /** Qdrant's parametrised RRF when weights or k are given (top-level `weights` or Qdrant's `rrf {k, weights}`). */
  function rrfQuery(b: z.output<typeof searchBody>): { rrf: { k?: number; weights?: [number, number] } } | undefined {
    const weights = b.rrf?.weights ?? b.weights;
    if (!weights && b.rrf?.k === undefined) return undefined;
    return { rrf: { ...(b.rrf?.k !== undefined ? { k: b.rrf.k } : {}), ...(weights ? { weights } : {}) } };
  }
  async function search(b: z.output<typeof searchBody>) {
    const path = collectionPath(b.collection);
    const keyErrors = checkFilterKeys(b.filter, cfg().filterKeys);
    if (keyErrors.length) throw validationError(keyErrors);
    const t: Record<string, number> = {};
    let t0 = performance.now();
    const [v] = await embed([b.query], b.mode === 'dense' ? ['dense'] : b.mode === 'sparse' ? ['sparse'] : ['dense', 'sparse']);
    t.embed = performance.now() - t0;
    const limit = b.rerank ? Math.max(b.limit, b.rerank.top_n) : b.limit;
    const sp = { query: v.sparse, using: 'sparse', limit: b.prefetch_limit };
    const rest = { limit, filter: b.filter, with_payload: b.with_payload };
    // The dense vector goes as the service's text (vectorText.ts).
    const request = b.mode === 'hybrid'
      ? objectJson({ prefetch: `[${objectJson({ query: v.denseText }, { using: 'dense', limit: b.prefetch_limit })},${JSON.stringify(sp)}]` }, { query: rrfQuery(b) ?? { fusion: b.fusion }, ...rest })
      : b.mode === 'dense' ? objectJson({ query: v.denseText }, { using: 'dense', ...rest }) : JSON.stringify({ ...sp, ...rest });
    t0 = performance.now();
    const res = await qdrant('POST', `${path}/points/query`, qdrantQueryResult, new JsonText(request));
    t.search = performance.now() - t0;
    const threshold = b.score_threshold ?? -Infinity;
    let points = res.points.filter((p) => p.score >= threshold).map((p) => ({ id: p.id, doc_id: p.payload?.doc_id ?? null, score: p.score, payload: p.payload ?? undefined }));
    if (b.rerank && points.length) {
      t0 = performance.now();
      const top = points.slice(0, b.rerank.top_n);
      const rr = await rerank(b.query, top.map((p) => String(p.payload?.text ?? '')), top.length, true);
      points = [...rr.results.map((r) => ({ ...top[r.index], rerank_score: r.relevance_score })), ...points.slice(b.rerank.top_n)];
      t.rerank = performance.now() - t0;
    }
    return { collection: b.collection, mode: b.mode, fusion: b.mode === 'hybrid' ? (b.weights || b.rrf?.weights ? 'rrf-weighted' : b.fusion) : null, results: points.slice(0, b.limit), timings_ms: Object.fromEntries(Object.entries(t).map(([k, x]) => [k, Math.round(x * 10) / 10])) };
  }

  return { embedUp, qdrantUp, qdrant, embed, checkInputs, rerank, listCollections, search };
}

export type EmbeddingsClient = ReturnType<typeof createEmbeddingsClient>;
