import { z } from 'zod';

/** Request checks of the fake embeddings service (a FastAPI app: 422 `{"detail":[...]}`) and the fake Qdrant (400
 *  `{"status":{"error":"Format error in JSON body: ..."},"time":...}`, as its serde/actix layer answers), so a
 *  malformed body is refused the way the real service refuses it instead of throwing inside the fake. */

// ---------- embeddings (spark-embed, FastAPI) ----------

const embeddingsRequest = z.looseObject({
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  model: z.string().optional(),
  output: z.array(z.enum(['dense', 'sparse'])).optional(),
});
const rerankRequest = z.looseObject({
  query: z.string(),
  documents: z.array(z.string()),
  top_n: z.int().min(1).nullish(),
  return_documents: z.boolean().optional(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequest>;
export type RerankRequest = z.infer<typeof rerankRequest>;

interface FastApiIssue { type: string; loc: Array<string | number>; msg: string }
const fastApiIssues = (issues: z.core.$ZodIssue[]): FastApiIssue[] => issues.slice(0, 10).map((i) => ({
  type: i.code === 'invalid_type' ? `${i.expected}_type` : i.code,
  loc: ['body', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))],
  msg: i.code === 'invalid_type' ? `Input should be a valid ${i.expected}` : i.message,
}));

/** Parses a spark-embed body (`/v1/embeddings` or `/v1/rerank`): the request, or FastAPI's 422. */
export function parseEmbedRequest<T extends 'embeddings' | 'rerank'>(raw: string, kind: T):
  { ok: true; body: T extends 'embeddings' ? EmbeddingsRequest : RerankRequest } | { ok: false; status: 422; error: { detail: FastApiIssue[] } } {
  let json: unknown;
  try { json = JSON.parse(raw); } catch { return { ok: false, status: 422, error: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] } }; }
  const r = (kind === 'embeddings' ? embeddingsRequest : rerankRequest).safeParse(json);
  if (!r.success) return { ok: false, status: 422, error: { detail: fastApiIssues(r.error.issues) } };
  return { ok: true, body: r.data as T extends 'embeddings' ? EmbeddingsRequest : RerankRequest };
}

// ---------- Qdrant ----------

/** serde_json's default recursion limit: deeper JSON is a format error in Qdrant. */
const QDRANT_MAX_DEPTH = 128;
function jsonDepth(v: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > QDRANT_MAX_DEPTH) return max;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

const many = <T extends z.ZodType>(t: T) => z.union([t, z.array(t)]).transform((x) => (Array.isArray(x) ? x : [x]) as Array<z.output<T>>);
const pointId = z.union([z.int().min(0), z.string()]);
const matchValue = z.union([z.string(), z.number(), z.boolean()]);
type QFilter = { must?: QCond[]; should?: QCond[]; must_not?: QCond[] };
type QCond = QFilter & { key?: string; match?: { value?: string | number | boolean; any?: Array<string | number | boolean>; except?: Array<string | number | boolean> }; range?: { gt?: number; gte?: number; lt?: number; lte?: number }; has_id?: Array<string | number> };
const cond: z.ZodType<QCond> = z.lazy(() => z.object({
  key: z.string().optional(),
  match: z.object({ value: matchValue.optional(), any: z.array(matchValue).optional(), except: z.array(matchValue).optional(), text: z.string().optional() }).optional(),
  range: z.object({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() }).optional(),
  has_id: z.array(pointId).optional(),
  must: many(cond).optional(), should: many(cond).optional(), must_not: many(cond).optional(),
}));
const filter: z.ZodType<QFilter> = z.object({ must: many(cond).optional(), should: many(cond).optional(), must_not: many(cond).optional() });
const sparse = z.object({ indices: z.array(z.int().min(0)), values: z.array(z.number()) });
const limit = z.int().min(1).optional();
const withPayload = z.union([z.boolean(), z.array(z.string()), z.object({})]).optional();
const queryVariant = z.union([
  z.array(z.number()), sparse, pointId,
  z.object({ fusion: z.enum(['rrf', 'dbsf']) }),
  z.object({ rrf: z.object({ k: z.int().min(1).optional(), weights: z.array(z.number()).optional() }) }),
]);
type Prefetch = { query?: unknown; using?: string; limit?: number; filter?: QFilter; prefetch?: Prefetch[] };
const prefetch: z.ZodType<Prefetch> = z.lazy(() => z.object({ query: queryVariant.optional(), using: z.string().optional(), limit, filter: filter.optional(), prefetch: many(prefetch).optional() }));

/** The body each route of the fake takes (method + path after `/collections/{name}`). */
const QDRANT_BODIES: Record<string, z.ZodType> = {
  'PUT ': z.object({ vectors: z.record(z.string(), z.unknown()).optional(), sparse_vectors: z.record(z.string(), z.unknown()).optional() }).loose(),
  'PUT /index': z.object({ field_name: z.string(), field_schema: z.union([z.string(), z.object({ type: z.string() }).loose()]) }).loose(),
  'PUT /points': z.object({
    points: z.array(z.object({ id: pointId, vector: z.object({ dense: z.array(z.number()).optional(), sparse: sparse.optional() }), payload: z.record(z.string(), z.unknown()).nullish() })),
  }).loose(),
  'POST /points/count': z.object({ filter: filter.nullish(), exact: z.boolean().optional() }).loose(),
  'POST /points/scroll': z.object({ filter: filter.nullish(), limit, with_payload: withPayload, offset: pointId.nullish() }).loose(),
  'POST /points/query': z.object({
    query: queryVariant.optional(), prefetch: many(prefetch).default([]), using: z.string().optional(), limit, offset: z.int().min(0).optional(),
    filter: filter.nullish(), with_payload: withPayload,
  }).loose(),
};

const serdeType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a sequence' : typeof v === 'object' ? 'a map' : typeof v === 'string' ? `string ${JSON.stringify(v.slice(0, 40))}` : `${typeof v} \`${String(v)}\``);

/** serde names the innermost field that failed; of a union's branches, the one that got furthest into the value. */
function deepestIssue(i: z.core.$ZodIssue): z.core.$ZodIssue {
  if (i.code !== 'invalid_union' || !i.errors.length) return i;
  const best = i.errors.map((branch) => deepestIssue(branch[0])).sort((a, b) => b.path.length - a.path.length)[0];
  return best.path.length ? { ...best, path: [...i.path, ...best.path] } : i;
}

/** Checks a parsed Qdrant body for `method` + `rest` (the path after the collection): the body to use, with one
 *  condition or prefetch normalised to a list as Qdrant reads them, or the 400 message Qdrant gives. Bodies of routes
 *  that take none pass as they are. */
export function checkQdrantBody(method: string | undefined, rest: string, body: unknown): { ok: true; body: any } | { ok: false; error: string } {
  if (jsonDepth(body) > QDRANT_MAX_DEPTH) return { ok: false, error: 'Format error in JSON body: recursion limit exceeded at line 1 column 1' };
  const schema = QDRANT_BODIES[`${method} ${rest}`];
  if (!schema) return { ok: true, body: body ?? {} };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, error: `Format error in JSON body: invalid type: ${serdeType(body)}, expected a map at line 1 column 1` };
  const r = schema.safeParse(body, { reportInput: true });
  if (r.success) return { ok: true, body: r.data };
  const i = deepestIssue(r.error.issues[0]);
  const at = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || 'body';
  if (i.code === 'too_small') return { ok: false, error: `Validation error in JSON body: [${at}: value ${JSON.stringify(i.input ?? null)} invalid, must be ${String(i.minimum)} or larger]` };
  return { ok: false, error: `Format error in JSON body: ${at}: ${i.code === 'invalid_type' ? `invalid type, expected ${i.expected}` : 'data did not match any variant'} at line 1 column 1` };
}

