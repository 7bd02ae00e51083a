import { z } from 'zod';
import { containerNameField } from '@spark-control/plugin-api';

export const embeddingsConfigSchema = z.object({
  maxBatch: z.number().int().min(1).max(2048).default(64).describe('Most inputs per /v1/embeddings call (and per batch when ingesting).'),
  ingestBatch: z.number().int().min(1).max(2048).default(32).describe('Items per embedding call and per upsert when ingesting (at most maxBatch).'),
  ingestDepth: z.number().int().min(1).max(8).default(2).describe('Embedding calls that run ahead of the upsert in progress when ingesting.'),
  maxInputChars: z.number().int().min(100).max(1_000_000).default(32_000).describe('Longest single input (characters).'),
  embedTimeoutMs: z.number().int().min(1000).max(600_000).default(60_000).describe('Timeout of one call to the embedding service.'),
  qdrantTimeoutMs: z.number().int().min(500).max(300_000).default(15_000).describe('Timeout of one Qdrant call.'),
  embeddingsContainer: containerNameField('spark-embed', 'Docker container of the embedding service (bge-m3) on its Spark, whose log the tile shows.'),
  qdrantContainer: containerNameField('qdrant', 'Docker container of Qdrant on its Spark, whose log the tile shows.'),
  denseSize: z.number().int().min(8).max(8192).default(1024).describe('Dense vector size of new collections (bge-m3: 1024).'),
  filterKeys: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/)).max(100).default(['tenant', 'source', 'type', 'tags', 'doc_id', 'lang', 'created_at', 'year']).describe('Payload keys a search filter may use (anything else is a 400).'),
  payloadIndexes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/), z.enum(['keyword', 'integer', 'float', 'bool', 'datetime', 'text'])).default({ tenant: 'keyword', source: 'keyword', doc_id: 'keyword' }).describe('Keyword payload indexes created with every collection.'),
});
export type EmbeddingsConfig = z.output<typeof embeddingsConfigSchema>;
