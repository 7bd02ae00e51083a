import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { guardFakeHandler } from '@spark-control/plugin-api';
import { checkQdrantBody } from './requestSchemas.js';
import type { AccessLog } from './seedHost.js';

type Sparse = { indices: number[]; values: number[] };
interface Point { id: string | number; vector: { dense?: number[]; sparse?: Sparse }; payload: Record<string, unknown> }
interface Collection { config: { vectors: unknown; sparse_vectors?: unknown }; points: Map<string, Point>; indexes: Record<string, unknown> }
type Filter = { must?: Cond[]; should?: Cond[]; must_not?: Cond[] };
type Cond = { key?: string; match?: { value?: unknown; any?: unknown[]; except?: unknown[] }; range?: { gt?: number; gte?: number; lt?: number; lte?: number }; has_id?: Array<string | number> } & Filter;

/** Names Qdrant itself refuses (validation.rs): everything else, even `..` or `%2e`, would be accepted by the server. */
const QDRANT_FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f]/;

const readJson = (req: IncomingMessage) => new Promise<any>((resolve, reject) => { let s = ''; req.on('data', (d) => (s += d)).on('end', () => { try { resolve(s ? JSON.parse(s) : {}); } catch (e) { reject(e); } }); });
const ok = (res: ServerResponse, result: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ result, status: 'ok', time: 0.0001 })); };
const fail = (res: ServerResponse, status: number, error: string) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify({ status: { error }, time: 0.0001 })); };

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / (Math.sqrt(na * nb) || 1);
}
function sparseDot(a: Sparse, b: Sparse): number {
  const m = new Map(b.indices.map((i, k) => [i, b.values[k]]));
  return a.indices.reduce((s, i, k) => s + a.values[k] * (m.get(i) ?? 0), 0);
}
function condOk(p: Point, c: Cond): boolean {
  if (c.must || c.should || c.must_not) return filterOk(p, c);
  if (c.has_id) return c.has_id.map(String).includes(String(p.id));
  const v = c.key !== undefined ? c.key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), p.payload) : undefined;
  const vals = Array.isArray(v) ? v : [v];
  if (c.match) {
    if ('value' in c.match) return vals.includes(c.match.value);
    if (c.match.any) return vals.some((x) => c.match!.any!.includes(x));
    if (c.match.except) return !vals.some((x) => c.match!.except!.includes(x));
  }
  if (c.range) return vals.some((x) => typeof x === 'number' && (c.range!.gt === undefined || x > c.range!.gt) && (c.range!.gte === undefined || x >= c.range!.gte) && (c.range!.lt === undefined || x < c.range!.lt) && (c.range!.lte === undefined || x <= c.range!.lte));
  return false;
}
function filterOk(p: Point, f?: Filter): boolean {
  if (!f) return true;
  if (f.must && !f.must.every((c) => condOk(p, c))) return false;
  if (f.must_not && f.must_not.some((c) => condOk(p, c))) return false;
  if (f.should && f.should.length && !f.should.some((c) => condOk(p, c))) return false;
  return true;
}

interface Scored { point: Point; score: number }
function search(col: Collection, q: any, filter?: Filter): Scored[] {
  const using = q.using ?? 'dense';
  const limit = q.limit ?? 10;
  const pts = [...col.points.values()].filter((p) => filterOk(p, filter) && filterOk(p, q.filter));
  const query = q.query;
  if (Array.isArray(query)) return pts.filter((p) => p.vector.dense).map((p) => ({ point: p, score: cosine(query, p.vector.dense!) })).sort((a, b) => b.score - a.score).slice(0, limit);
  if (query && Array.isArray(query.indices)) return pts.filter((p) => p.vector.sparse).map((p) => ({ point: p, score: sparseDot(query, p.vector.sparse!) })).filter((s) => s.score > 0 || using !== 'sparse').sort((a, b) => b.score - a.score).slice(0, limit);
  return [];
}

/** A Qdrant REST subset for the simulator: collections, payload indexes, upsert, query (prefetch + RRF/DBSF fusion,
 *  filters), scroll, count. Every request path is recorded so tests can prove what reached it. */
export function startFakeQdrant(opts: { accessLog?: AccessLog } = {}): Promise<{ port: number; paths: string[]; close(): Promise<void> }> {
  const collections = new Map<string, Collection>();
  const paths: string[] = [];
  const server = createServer(guardFakeHandler('qdrant', (res) => fail(res, 500, 'Service internal error: the request could not be processed'), async (req, res) => {
    const raw = req.url ?? '/';
    // Test hook (simulator only): what paths has this fake received?
    if (raw === '/__sim/paths') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(paths)); return; }
    paths.push(`${req.method} ${raw}`);
    const url = new URL(raw, 'http://x');
    if (url.pathname === '/healthz' || url.pathname === '/readyz') { res.writeHead(200); res.end('healthz check passed'); return; }
    if (url.pathname === '/') return ok(res, { title: 'qdrant - vector search engine (simulated)', version: '1.15.0' });
    if (url.pathname === '/collections' && req.method === 'GET') return ok(res, { collections: [...collections.keys()].map((name) => ({ name })) });
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return fail(res, 404, 'Not found');
    let name: string;
    try { name = decodeURIComponent(m[1]); } catch { return fail(res, 400, 'bad collection name'); }
    if (!name || QDRANT_FORBIDDEN.test(name) || name.length > 255) return fail(res, 422, `Validation error in path: collection name ${JSON.stringify(name)} is not allowed`);
    const rest = m[2] ?? '';
    const col = collections.get(name);
    let body: any = {};
    try { body = await readJson(req); } catch { return fail(res, 400, 'Format error in JSON body'); }
    const checked = checkQdrantBody(req.method, rest, body);
    if (!checked.ok) return fail(res, 400, checked.error);
    body = checked.body;
    if (rest === '' && req.method === 'PUT') {
      if (col) return fail(res, 409, `Wrong input: Collection \`${name}\` already exists!`);
      collections.set(name, { config: { vectors: body.vectors, sparse_vectors: body.sparse_vectors }, points: new Map(), indexes: {} });
      return ok(res, true);
    }
    if (rest === '/exists' && req.method === 'GET') return ok(res, { exists: !!col });
    if (!col) return fail(res, 404, `Not found: Collection \`${name}\` doesn't exist!`);
    if (rest === '' && req.method === 'GET') return ok(res, { status: 'green', points_count: col.points.size, indexed_vectors_count: col.points.size, config: { params: col.config }, payload_schema: col.indexes });
    if (rest === '' && req.method === 'DELETE') { collections.delete(name); return ok(res, true); }
    if (rest === '/index' && req.method === 'PUT') { col.indexes[body.field_name] = { data_type: body.field_schema }; return ok(res, { operation_id: 1, status: 'completed' }); }
    if (rest === '/points' && req.method === 'PUT') {
      for (const p of body.points ?? []) {
        if (!(typeof p.id === 'number' || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(p.id)))) return fail(res, 400, `Unable to parse point id ${JSON.stringify(p.id)}`);
        const s = p.vector?.sparse;
        if (s && (s.indices.length !== s.values.length || new Set(s.indices).size !== s.indices.length)) return fail(res, 400, 'sparse vector indices must be unique and match values');
        col.points.set(String(p.id), { id: p.id, vector: p.vector, payload: p.payload ?? {} });
      }
      return ok(res, { operation_id: 2, status: url.searchParams.get('wait') === 'true' ? 'completed' : 'acknowledged' });
    }
    if (rest === '/points/delete' && req.method === 'POST') {
      // Qdrant's delete by ids (a filter selector is not needed by any caller here, and is refused as unsupported).
      if (!Array.isArray(body.points)) return fail(res, 400, 'Format error in JSON body: expected `points` (a list of point ids)');
      for (const id of body.points) col.points.delete(String(id));
      return ok(res, { operation_id: 3, status: url.searchParams.get('wait') === 'true' ? 'completed' : 'acknowledged' });
    }
    if (rest === '/points/count' && req.method === 'POST') return ok(res, { count: [...col.points.values()].filter((p) => filterOk(p, body.filter)).length });
    if (rest === '/points/scroll' && req.method === 'POST') {
      const pts = [...col.points.values()].filter((p) => filterOk(p, body.filter)).slice(0, body.limit ?? 10);
      return ok(res, { points: pts.map((p) => ({ id: p.id, payload: body.with_payload === false ? undefined : p.payload })), next_page_offset: null });
    }
    if (rest === '/points/query' && req.method === 'POST') {
      let scored: Scored[];
      if (body.prefetch && body.query?.fusion || body.query?.rrf) {
        const lists = (body.prefetch as any[]).map((pf) => search(col, pf, body.filter));
        const fused = new Map<string, Scored>();
        if (body.query.fusion === 'dbsf') {
          for (const l of lists) {
            const scores = l.map((s) => s.score);
            const mean = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
            const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, scores.length)) || 1;
            const lo = mean - 3 * sd, hi = mean + 3 * sd;
            for (const s of l) {
              const norm = (s.score - lo) / (hi - lo || 1);
              const k = String(s.point.id);
              fused.set(k, { point: s.point, score: (fused.get(k)?.score ?? 0) + norm });
            }
          }
        } else {
          const k = body.query.rrf?.k ?? 2;
          const weights: number[] = body.query.rrf?.weights ?? lists.map(() => 1);
          lists.forEach((l, li) => l.forEach((s, rank) => {
            const key = String(s.point.id);
            fused.set(key, { point: s.point, score: (fused.get(key)?.score ?? 0) + (weights[li] ?? 1) / (k + rank + 1) });
          }));
        }
        scored = [...fused.values()].sort((a, b) => b.score - a.score);
      } else {
        scored = search(col, { ...body, limit: 1e9 }, body.filter);
      }
      const offset = body.offset ?? 0;
      const pts = scored.slice(offset, offset + (body.limit ?? 10));
      return ok(res, { points: pts.map((s) => ({ id: s.point.id, version: 1, score: s.score, payload: body.with_payload === false ? undefined : s.point.payload })) });
    }
    fail(res, 404, 'Not found');
  }));
  // What the real service prints per request, into its container's docker log (see sim/seedHost.ts).
  if (opts.accessLog) server.on('request', (req: IncomingMessage, res: ServerResponse) => res.on('finish', () => opts.accessLog!(req, res.statusCode)));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    paths,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}
