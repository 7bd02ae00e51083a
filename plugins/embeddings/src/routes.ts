import type { z } from 'zod';
import type { PluginContext, RouteContext } from '@spark-control/plugin-api';
import type { EmbeddingsClient } from './client.js';
import type { EmbeddingsConfig } from './config.js';
import { pipelinedIngest } from './ingest.js';
import { collectionPath, uuidV5 } from './names.js';
import { JsonText, objectJson } from './vectorText.js';
import { collectionResponse, collectionsResponse, deleteCollectionResponse, embeddingsResponse, ensureCollectionResponse, ingestResponse, rerankResponse, searchResponse } from './responses.js';
import { embeddingsBody, ensureCollectionBody, ingestBody, nameParams, qdrantAny, qdrantCollection, qdrantExists, rerankBody, searchBody } from './schemas.js';

/** Every route of the plugin: parse (the schemas), call the client, shape the answer. */
export function registerEmbeddingsRoutes(ctx: PluginContext<EmbeddingsConfig>, client: EmbeddingsClient): void {
  // OpenAI-shaped embeddings (+ bge-m3 sparse extension).
  ctx.publicRoutes('/v1/embeddings', { scope: 'inference' }).add({ method: 'POST', path: '', body: embeddingsBody, errorStyle: 'openai', maxBodyBytes: 16 * 1024 * 1024, summary: 'Embeddings (OpenAI shape; output: ["dense","sparse"] extension)', response: embeddingsResponse }, async (c) => {
    const texts = typeof c.body.input === 'string' ? [c.body.input] : c.body.input;
    client.checkInputs(texts);
    const output = c.body.output ?? ['dense'];
    const vecs = await client.embed(texts, output);
    const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    const model = c.body.model ?? 'BAAI/bge-m3';
    c.usage({ embeddings: texts.length }, model);
    return {
      object: 'list', model,
      data: vecs.map((v, index) => ({
        object: 'embedding', index,
        ...(output.includes('dense') ? { embedding: c.body.encoding_format === 'base64' && v.embedding ? Buffer.from(new Float32Array(v.embedding).buffer).toString('base64') : v.embedding } : {}),
        ...(output.includes('sparse') ? { sparse: v.sparse } : {}),
      })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  ctx.publicRoutes('/v1/rerank', { scope: 'inference' }).add({ method: 'POST', path: '', body: rerankBody, errorStyle: 'openai', maxBodyBytes: 16 * 1024 * 1024, summary: 'Rerank documents (normalize: sigmoid vs raw logit; default raw)', response: rerankResponse }, async (c) => {
    const r = await client.rerank(c.body.query, c.body.documents, c.body.top_n, c.body.normalize, c.body.return_documents);
    c.usage({ reranked: c.body.documents.length }, r.model);
    return r;
  });

  // Collections.
  // A program that searches or ingests also lists, ensures (PUT is idempotent) and fills its collections: `inference`.
  // Deleting one loses data: that stays an admin's.
  const collections = ctx.publicRoutes('/api/collections', { scope: 'inference' });
  collections.add({ method: 'GET', path: '', summary: 'Collections with point counts', response: collectionsResponse }, () => client.listCollections());
  collections.add({ method: 'PUT', path: '/:name', params: nameParams, body: ensureCollectionBody, summary: 'Ensure a collection (dense 1024 cosine + sparse, payload indexes)', response: ensureCollectionResponse }, async (c) => {
    const path = collectionPath(c.params.name);
    const exists = await client.qdrant('GET', `${path}/exists`, qdrantExists);
    if (!exists.exists) {
      await client.qdrant('PUT', path, qdrantAny, { vectors: { dense: { size: ctx.config.get().denseSize, distance: 'Cosine' } }, sparse_vectors: { sparse: {} } });
    }
    const indexes = { ...ctx.config.get().payloadIndexes, ...(c.body?.payload_indexes ?? {}) };
    for (const [field_name, field_schema] of Object.entries(indexes)) await client.qdrant('PUT', `${path}/index?wait=true`, qdrantAny, { field_name, field_schema });
    c.status(exists.exists ? 200 : 201);
    return { name: c.params.name, created: !exists.exists, payload_indexes: indexes };
  });
  collections.add({ method: 'GET', path: '/:name', params: nameParams, summary: 'One collection', response: collectionResponse }, async (c) => {
    const path = collectionPath(c.params.name);
    const info = await client.qdrant('GET', path, qdrantCollection);
    return { name: c.params.name, points: info.points_count ?? null, status: info.status, payload_schema: info.payload_schema };
  });
  collections.add({ method: 'DELETE', path: '/:name', params: nameParams, scope: 'admin', summary: 'Delete a collection', response: deleteCollectionResponse }, async (c) => {
    await client.qdrant('DELETE', collectionPath(c.params.name), qdrantAny);
    return { deleted: c.params.name };
  });
  collections.add({ method: 'POST', path: '/:name/points', params: nameParams, body: ingestBody, maxBodyBytes: 64 * 1024 * 1024, summary: 'Embed and upsert {id, text, payload} items', response: ingestResponse }, async (c) => {
    const path = collectionPath(c.params.name);
    const t0 = performance.now();
    const items = c.body.items;
    client.checkInputs(items.map((i) => i.text));
    // Each item's point id, derived once (upsert, undo and the answer all name it).
    const points = items.map((item) => ({ item, id: uuidV5(String(item.id)) }));
    const { ingestBatch, ingestDepth, maxBatch } = ctx.config.get();
    const { embedMs, upsertMs } = await pipelinedIngest(points, {
      batchSize: Math.min(ingestBatch, maxBatch), depth: ingestDepth, wholeUpTo: maxBatch,
      embed: (chunk) => client.embed(chunk.map((p) => p.item.text), ['dense', 'sparse']),
      // Each dense vector as the embedding service's text (vectorText.ts).
      upsert: (chunk, vecs) => client.qdrant('PUT', `${path}/points?wait=true`, qdrantAny, new JsonText(`{"points":[${chunk.map(({ item, id }, k) => objectJson(
        { vector: objectJson({ dense: vecs[k].denseText }, vecs[k].sparse ? { sparse: vecs[k].sparse } : {}) },
        { id, payload: { ...(item.payload ?? {}), doc_id: String(item.id), text: item.text } },
      )).join(',')}]}`)).then(() => undefined),
      undo: (written) => client.qdrant('POST', `${path}/points/delete?wait=true`, qdrantAny, { points: [...new Set(written.map((p) => p.id))] }).then(() => undefined),
    });
    const upserted = items.length;
    c.usage({ embeddings: upserted }, c.params.name);
    return { collection: c.params.name, upserted, ids: points.map((p) => ({ id: p.item.id, point_id: p.id })), timings_ms: { embed: Math.round(embedMs), upsert: Math.round(upsertMs), total: Math.round(performance.now() - t0) } };
  });

  const search = async (c: RouteContext<z.output<typeof searchBody>>) => {
    const r = await client.search(c.body);
    c.usage({ searches: 1 }, c.body.collection);
    return r;
  };
  ctx.publicRoutes('/api/search', { scope: 'inference' }).add({ method: 'POST', path: '', body: searchBody, summary: 'Dense, sparse or hybrid search with optional rerank', response: searchResponse }, search);
  ctx.routes.add({ method: 'POST', path: '/search', body: searchBody, summary: 'Same as /api/search (tile)', response: searchResponse }, search);
  ctx.routes.add({ method: 'GET', path: '/collections', summary: 'Same as GET /api/collections (tile)', response: collectionsResponse }, () => client.listCollections());
}
