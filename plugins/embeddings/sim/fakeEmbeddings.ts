import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { guardFakeHandler } from '@spark-control/plugin-api';
import { parseEmbedRequest } from './requestSchemas.js';
import type { AccessLog } from './seedHost.js';

export const DENSE_DIM = 1024;
const VOCAB = 250_002;

const tokens = (t: string) => t.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').match(/[\p{L}\p{N}][\p{L}\p{N}-]*/gu) ?? [];
const h = (s: string, mod: number) => createHash('sha1').update(s).digest().readUInt32BE(0) % mod;

/** Deterministic stand-in for bge-m3's dense vector: words and their character trigrams hashed into 1024 dims,
 *  L2-normalised. Like a semantic model it blurs codes and numbers (tokens with digits count little), so exact-term
 *  queries are where the sparse side earns its keep. */
export function denseVector(text: string): number[] {
  const v = new Float64Array(DENSE_DIM);
  for (const tok of tokens(text)) {
    const w = /\d/.test(tok) ? 0.05 : 1;
    const stem = tok.replace(/(ing|ed|es|s)$/, '');
    v[h(`w:${stem}`, DENSE_DIM)] += w;
    for (let i = 0; i + 3 <= stem.length; i++) v[h(`t:${stem.slice(i, i + 3)}`, DENSE_DIM)] += 0.3 * w;
  }
  const n = Math.hypot(...v) || 1;
  return Array.from(v, (x) => Math.round((x / n) * 1e6) / 1e6);
}

/** `denseVector` as bge-m3 writes its vectors: no dimension exactly 0 and every value a float32 in all its digits
 *  (`0.012345678918063641`), about 20 KB of JSON per vector where the rounded one is 2–8 KB. For benchmarks
 *  (SPARK_SIM_EMBED_FULL_FLOATS=1), whose JSON costs would otherwise be a fraction of the real service's. */
export function fullFloatVector(text: string): number[] {
  const v = denseVector(text);
  const seed = h(`f:${text}`, 1 << 30);
  return v.map((x, i) => Math.fround(x + (((seed * (i + 1)) % 2001) - 1000) * 1e-6));
}

/** bge-m3-like lexical weights: one index per distinct token (vocabulary-sized ids), weight from rarity of shape. */
export function sparseVector(text: string): { indices: number[]; values: number[] } {
  const m = new Map<number, number>();
  for (const tok of tokens(text)) {
    const id = h(`s:${tok}`, VOCAB);
    const w = Math.round((0.1 + Math.min(0.3, tok.length / 30) + (/\d/.test(tok) ? 0.4 : 0)) * 1e4) / 1e4;
    m.set(id, Math.max(m.get(id) ?? 0, w));
  }
  const indices = [...m.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => m.get(i)!) };
}

/** Cross-encoder stand-in: raw logit from token overlap (like bge-reranker-v2-m3, unbounded; sigmoid is optional). */
export function rerankLogit(query: string, doc: string): number {
  const q = new Set(tokens(query));
  const d = tokens(doc);
  const hit = d.filter((t) => q.has(t)).length;
  return Math.round(((hit / Math.max(1, q.size)) * 10 - 4 + Math.min(1, hit / 10)) * 1e4) / 1e4;
}

const readText = (req: IncomingMessage) => new Promise<string>((resolve, reject) => { let s = ''; req.on('data', (d) => (s += d)).on('end', () => resolve(s)).on('error', reject); });
const send = (res: ServerResponse, status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };

/** Fake of the predecessor's spark-embed service (bge-m3 + bge-reranker-v2-m3) on the OpenAI-ish contract. */
export function startFakeEmbeddings(opts: { accessLog?: AccessLog } = {}): Promise<{ port: number; close(): Promise<void>; requests: number }> {
  const state = { requests: 0 };
  const dense = process.env.SPARK_SIM_EMBED_FULL_FLOATS === '1' ? fullFloatVector : denseVector;
  const server = createServer(guardFakeHandler('embeddings', (res) => { res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }); res.end('Internal Server Error'); }, async (req, res) => {
    state.requests++;
    try {
      if (req.url === '/health') return send(res, 200, { status: 'ok' });
      if (req.method === 'POST' && req.url === '/v1/embeddings') {
        const parsed = parseEmbedRequest(await readText(req), 'embeddings');
        if (!parsed.ok) return send(res, parsed.status, parsed.error);
        const b = parsed.body;
        const inputs: string[] = Array.isArray(b.input) ? b.input : [b.input];
        if (!inputs.length || inputs.some((x) => typeof x !== 'string')) return send(res, 422, { detail: 'input must be a string or a list of strings' });
        const out: string[] = b.output ?? ['dense'];
        return send(res, 200, {
          object: 'list', model: 'BAAI/bge-m3',
          data: inputs.map((t, index) => ({ object: 'embedding', index, ...(out.includes('dense') ? { embedding: dense(t) } : {}), ...(out.includes('sparse') ? { sparse: sparseVector(t) } : {}) })),
          usage: { prompt_tokens: inputs.reduce((n, t) => n + tokens(t).length, 0), total_tokens: inputs.reduce((n, t) => n + tokens(t).length, 0) },
        });
      }
      if (req.method === 'POST' && req.url === '/v1/rerank') {
        const parsed = parseEmbedRequest(await readText(req), 'rerank');
        if (!parsed.ok) return send(res, parsed.status, parsed.error);
        const b = parsed.body;
        const results = (b.documents as string[]).map((d, index) => ({ index, relevance_score: rerankLogit(b.query, d), ...(b.return_documents ? { document: d } : {}) }))
          .sort((a, b2) => b2.relevance_score - a.relevance_score).slice(0, b.top_n ?? undefined);
        return send(res, 200, { object: 'rerank.result', model: 'BAAI/bge-reranker-v2-m3', results });
      }
      send(res, 404, { detail: 'Not Found' });
    } catch {
      send(res, 400, { detail: 'bad request' });
    }
  }));
  // What the real service prints per request, into its container's docker log (see sim/seedHost.ts).
  if (opts.accessLog) server.on('request', (req: IncomingMessage, res: ServerResponse) => res.on('finish', () => opts.accessLog!(req, res.statusCode)));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    get requests() { return state.requests; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}
