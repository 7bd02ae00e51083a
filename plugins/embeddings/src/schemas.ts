import { z } from 'zod';
import { filterSchema } from './filters.js';

/** Request bodies of this plugin's routes and the answers it expects from its two upstreams. */
export const sparse = z.object({ indices: z.array(z.number().int().nonnegative()), values: z.array(z.number()) });
/** An array of finite numbers, checked in one loop and passed on as it is: z.array(z.number()) checks and copies element
 *  by element, which on a 64-item batch of 1024-dimension vectors was a fifth of the kernel's CPU for the request. */
const numbers = z.custom<number[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)), 'expected an array of numbers');
export const embedResponse = z.object({ data: z.array(z.object({ index: z.number(), embedding: numbers.optional(), sparse: sparse.optional() })), model: z.string().optional(), usage: z.unknown().optional() });
export const rerankResponse = z.object({ results: z.array(z.object({ index: z.number().int(), relevance_score: z.number(), document: z.unknown().optional() })).optional(), data: z.array(z.object({ index: z.number().int(), relevance_score: z.number() })).optional(), model: z.string().optional() });
/** Qdrant's `{result, status, time}` around a result schema, built once per result schema: a zod object built per call
 *  is compiled on its first parse, which cost 0.15–0.4 ms on every Qdrant call (a fifth of a 1-item ingest's kernel
 *  time outside the two upstream calls). */
const envelopes = new WeakMap<z.ZodType, z.ZodType>();
export function qdrantEnvelope<T extends z.ZodType>(r: T): z.ZodType<{ result: z.output<T> }> {
  let e = envelopes.get(r);
  if (!e) envelopes.set(r, (e = z.object({ result: r, status: z.unknown().optional(), time: z.number().optional() })));
  return e as z.ZodType<{ result: z.output<T> }>;
}
/** What each Qdrant call expects under `result` (module constants, so each envelope is built once, see above). */
export const qdrantAny = z.unknown();
export const qdrantExists = z.object({ exists: z.boolean() });
export const qdrantCollection = z.object({ points_count: z.number().nullable().optional(), status: z.string().optional(), payload_schema: z.unknown().optional() });
export const qdrantCollections = z.object({ collections: z.array(z.object({ name: z.string() })) });
export const qdrantCount = z.object({ count: z.number() });
export const qdrantQueryResult = z.object({ points: z.array(z.object({ id: z.union([z.string(), z.number()]), score: z.number(), payload: z.record(z.string(), z.unknown()).nullable().optional() })) });
export const ensureCollectionBody = z.object({ payload_indexes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/), z.enum(['keyword', 'integer', 'float', 'bool', 'datetime', 'text'])).optional() }).optional();
export const nameParams = z.object({ name: z.string().max(300) });

export const embeddingsBody = z.object({
  input: z.union([z.string(), z.array(z.string()).min(1, 'give at least one input')]),
  model: z.string().max(200).optional(),
  /** The official openai client asks for base64 (little-endian float32) by default. */
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Extension: which bge-m3 outputs to return; `sparse` gives lexical weights as indices/values. */
  output: z.array(z.enum(['dense', 'sparse'])).min(1).max(2).optional(),
  /** OpenAI's end-user id (for their abuse monitoring): accepted as the protocol allows, unused here. */
  user: z.string().max(256).optional(),
});
export const rerankBody = z.object({
  query: z.string().min(1, 'required').max(8000),
  documents: z.array(z.string().max(32_000)).min(1, 'give at least one document').max(1000),
  top_n: z.number().int().min(1).max(1000).optional(),
  return_documents: z.boolean().optional(),
  /** Default false: raw logits, as the previous service returned (e.g. 5.21). true: sigmoid → 0..1. */
  normalize: z.boolean().default(false),
  model: z.string().max(200).optional(),
});
const ingestItems = z.array(z.object({ id: z.union([z.string().min(1).max(500), z.number().int()]), text: z.string().min(1, 'required').max(200_000), payload: z.record(z.string(), z.unknown()).optional() })).min(1, 'give at least one item').max(10_000);
/** `points` is the Python tool's name for `items` (its clients still send it): exactly one of the two. */
export const ingestBody = z.object({ items: ingestItems.optional(), points: ingestItems.optional() })
  .superRefine((b, ctx) => {
    if (b.items && b.points) ctx.addIssue({ code: 'custom', path: ['points'], message: 'give one of items or points (points is the old name of items)' });
    else if (!b.items && !b.points) ctx.addIssue({ code: 'custom', path: ['items'], message: 'required' });
  })
  .transform((b) => ({ items: (b.items ?? b.points)! }));
export const searchBody = z.object({
  collection: z.string().max(300),
  query: z.string().min(1, 'required').max(8000),
  mode: z.enum(['dense', 'sparse', 'hybrid']).default('hybrid'),
  fusion: z.enum(['rrf', 'dbsf']).default('rrf'),
  /** RRF weights for [dense, sparse]. */
  weights: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).optional(),
  /** Qdrant's own shape for weighted RRF (the Python tool's clients send it): `k` and/or `weights` for [dense, sparse]. */
  rrf: z.object({ k: z.number().int().min(1).max(1000).optional(), weights: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).optional() }).optional(),
  /** Qdrant's `score_threshold`: results scoring below it (fused score in hybrid mode) are left out; null = none. */
  score_threshold: z.number().finite().nullable().optional(),
  limit: z.number().int().min(1).max(200).default(10),
  prefetch_limit: z.number().int().min(1).max(1000).default(50),
  filter: filterSchema.optional(),
  rerank: z.object({ top_n: z.number().int().min(1).max(200) }).optional(),
  with_payload: z.boolean().default(true),
}).superRefine((b, ctx) => {
  if (b.rrf?.weights && b.weights) ctx.addIssue({ code: 'custom', path: ['rrf', 'weights'], message: 'give one of weights or rrf.weights' });
  if (b.rrf && b.fusion === 'dbsf') ctx.addIssue({ code: 'custom', path: ['rrf'], message: 'rrf settings need fusion rrf' });
});
