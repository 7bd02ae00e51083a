import { z } from 'zod';
import { sparse } from './schemas.js';

// The 200 answers of the embeddings routes, for the API document only (routes.ts and client.ts build these shapes).
// tests/kernel/response-schemas*.test.ts parse the live answers with them.

export const embeddingsResponse = z.object({
  object: z.literal('list'), model: z.string(),
  data: z.array(z.object({
    object: z.literal('embedding'), index: z.number().int(),
    embedding: z.union([z.array(z.number()), z.string()]).optional().describe('Present when output has dense; a base64 string of little-endian float32 when encoding_format is base64'),
    sparse: sparse.optional().describe('Present when output has sparse: bge-m3 lexical weights'),
  })),
  usage: z.object({ prompt_tokens: z.number().int().describe('Estimated (characters / 4)'), total_tokens: z.number().int() }),
});

export const rerankResponse = z.object({
  object: z.literal('rerank.result'), model: z.string(),
  normalized: z.boolean().describe('true: relevance_score is a sigmoid (0..1); false: the raw logit'),
  results: z.array(z.object({ index: z.number().int().describe('Position in the request\'s documents'), relevance_score: z.number(), document: z.unknown().optional() })).describe('Best first'),
});

export const collectionsResponse = z.object({
  collections: z.array(z.object({ name: z.string(), points: z.number().nullable().describe('null when the count failed') })),
});

const indexKind = z.enum(['keyword', 'integer', 'float', 'bool', 'datetime', 'text']);
export const ensureCollectionResponse = z.object({
  name: z.string(), created: z.boolean().describe('true (status 201) when the collection did not exist'),
  payload_indexes: z.record(z.string(), indexKind).describe('The configured indexes plus those of the request'),
});

export const collectionResponse = z.object({
  name: z.string(), points: z.number().nullable(), status: z.string().optional().describe('Qdrant\'s collection status (green, yellow…)'),
  payload_schema: z.unknown().optional().describe('Qdrant\'s payload schema, as Qdrant reports it'),
});

export const deleteCollectionResponse = z.object({ deleted: z.string() });

export const ingestResponse = z.object({
  collection: z.string(), upserted: z.number().int(),
  ids: z.array(z.object({ id: z.union([z.string(), z.number()]), point_id: z.string().describe('The Qdrant point id (UUID v5 of the id)') })),
  timings_ms: z.object({ embed: z.number(), upsert: z.number(), total: z.number() }),
});

export const searchResponse = z.object({
  collection: z.string(), mode: z.enum(['dense', 'sparse', 'hybrid']),
  fusion: z.enum(['rrf', 'dbsf', 'rrf-weighted']).nullable().describe('null unless hybrid'),
  results: z.array(z.object({
    id: z.union([z.string(), z.number()]), doc_id: z.unknown().describe('The ingested item\'s id (payload.doc_id), null when absent'),
    score: z.number(), payload: z.record(z.string(), z.unknown()).optional(),
    rerank_score: z.number().optional().describe('With rerank: the sigmoid reranker score (results are in this order)'),
  })),
  timings_ms: z.record(z.string(), z.number()).describe('embed, search and (with rerank) rerank'),
});
