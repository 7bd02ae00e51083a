/** Embeddings benchmark (issue 27, item 2): ingest throughput (items/s) at 1, 64 and 1,024 items per request through
 *  the plugin vs a client calling the embedding service and Qdrant itself (embed a batch of 64, upsert it with wait,
 *  the next), and hybrid search latency p50/p99 on both paths. The fake embedding service and the fake Qdrant run each
 *  in a process of its own (as on a Spark, they are not the kernel's event loop); every row is measured in rounds with
 *  the two paths in a rotated order, median and spread reported, and the tables written to docs/performance.md. */
import 'reflect-metadata';
import { cpuSecondsOf, helperProcess, median, pluginKernelProcess, simServiceProcess } from './processes.js';
import { markdownTable, writeSection, type Cell } from './report.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** Items ingested per round at each request size (the 1-item row sends that many requests). */
const PLAN: Array<[perRequest: number, total: number]> = [[1, 150], [64, 1280], [1024, 2048]];
/** 1-item requests on each path before the rows are measured. */
const WARM_UP_REQUESTS = Math.max(0, Number(process.env.BENCH_WARMUP ?? 600));

// Vectors written as bge-m3 writes them (float32 values in all their digits): JSON costs as on a Spark.
const emb = await simServiceProcess('embeddings', 'embeddings', { SPARK_SIM_EMBED_FULL_FLOATS: '1' });
const qd = await simServiceProcess('embeddings', 'qdrant');
const E = emb.url;
const Q = qd.url;
// The kernel built and in a process of its own, as `npm start` runs it: in the bench's own process its work and the
// client's shared one event loop, and its CPU per item could not be read.
const k = await pluginKernelProcess('embeddings', { version: 1, hosts: [{ id: 'spark-2', name: 'bench', address: '127.0.0.1', sshUser: 'bench', sshPort: 22 }], services: { embeddings: { hostId: 'spark-2', port: emb.port }, qdrant: { hostId: 'spark-2', port: qd.port } } });
// A bare Node server doing what the direct path's client does (ingest-floor.mjs): what one more Node hop costs here.
const floor = await helperProcess('ingest-floor.mjs', [E, Q, 'floor']);

const words = 'pump error code seal valve impeller filter invoice billing travel budget quarter report schedule maintenance'.split(' ');
const item = (i: number) => ({ id: `doc-${i}`, text: `${words[i % words.length]} ${words[(i * 7) % words.length]} record ${i} code E-${1000 + i}`, payload: { tenant: i % 2 ? 'a' : 'b' } });
const post = async (url: string, body: unknown, method = 'POST') => {
  const r = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j;
};

await fetch(`${k.url}/api/collections/bench`, { method: 'PUT' });
for (const c of ['direct', 'floor']) await post(`${Q}/collections/${c}`, { vectors: { dense: { size: 1024, distance: 'Cosine' } }, sparse_vectors: { sparse: {} } }, 'PUT');

type Path = 'plugin' | 'direct' | 'floor';
const PATHS: Path[] = ['plugin', 'direct', 'floor'];
/** One request's worth of items on one path (the plugin: one request; direct: embed 64, upsert with wait, the next 64;
 *  the floor: one request to the bare Node server that does what direct does). */
async function ingestOnce(path: Path, req: ReturnType<typeof item>[], first: number): Promise<void> {
  if (path !== 'direct') {
    await post(path === 'plugin' ? `${k.url}/api/collections/bench/points` : floor.url, { items: req });
    return;
  }
  for (let j = 0; j < req.length; j += 64) {
    const part = req.slice(j, j + 64);
    const e = await post(`${E}/v1/embeddings`, { input: part.map((x) => x.text), output: ['dense', 'sparse'] });
    await post(`${Q}/collections/direct/points?wait=true`, { points: part.map((x, n) => ({ id: 1 + first + j + n, vector: { dense: e.data[n].embedding, sparse: e.data[n].sparse }, payload: x.payload })) }, 'PUT');
  }
}

/** Items/s of each path at one request size in one round; the same ids every round (re-ingest overwrites, as a
 *  re-sync would). The paths take turns request by request (order rotated each time), so the shared machine's drift
 *  hits them alike: one path's whole round after the other's made single rounds differ by 0.35–1.42×. */
async function ingestRound(perRequest: number, total: number): Promise<Record<Path, number> & { kernelCpuMs: number }> {
  const ms: Record<Path, number> = { plugin: 0, direct: 0, floor: 0 };
  const cpu0 = cpuSecondsOf(k.pid);
  for (let i = 0, turn = 0; i < total; i += perRequest, turn++) {
    const req = Array.from({ length: Math.min(perRequest, total - i) }, (_, n) => item(i + n));
    for (let j = 0; j < PATHS.length; j++) {
      const p = PATHS[(turn + j) % PATHS.length];
      const t0 = performance.now();
      await ingestOnce(p, req, i);
      ms[p] += performance.now() - t0;
    }
  }
  // The kernel works only for the plugin path's requests: its CPU over the round, per item.
  const rate = (p: Path) => total / (ms[p] / 1000);
  return { plugin: rate('plugin'), direct: rate('direct'), floor: rate('floor'), kernelCpuMs: ((cpuSecondsOf(k.pid) - cpu0) * 1000) / total };
}

const fmt = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
// Warm-up on every path and request size first: a long-running server is measured, not its JIT's first seconds. Four
// 64-item requests had left every path cold for the 1-item row (it runs first): with this warm-up that row went from
// 115 to 148 items/s through the plugin and from 149 to 209 direct, and the bare Node hop fell from 0.99 to 0.86 of
// direct, so the ratio the goal is about is measured against a warm direct path.
await ingestRound(1, WARM_UP_REQUESTS);
await ingestRound(64, 640);
const ingestRows: Array<Record<string, Cell>> = [];
/** Rows where the bare Node hop is itself under the goal, said under the table. */
const belowFloor: string[] = [];
for (const [perRequest, total] of PLAN) {
  const s = { plugin: [] as number[], direct: [] as number[], floor: [] as number[], cpu: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const r = await ingestRound(perRequest, total);
    s.plugin.push(r.plugin);
    s.direct.push(r.direct);
    s.floor.push(r.floor);
    s.cpu.push(r.kernelCpuMs);
  }
  const ratios = s.plugin.map((x, i) => x / s.direct[i]);
  ingestRows.push({
    'items per request': perRequest, 'plugin items/s': fmt(s.plugin), 'direct items/s': fmt(s.direct), 'plugin/direct': fmt(ratios, 2), 'goal ≥ 0.9': median(ratios) >= 0.9 ? 'met' : 'NOT met',
    'node floor/direct': fmt(s.floor.map((x, i) => x / s.direct[i]), 2), 'kernel CPU ms per item': fmt(s.cpu, 2),
  });
  const floorRatio = median(s.floor.map((x, i) => x / s.direct[i]));
  if (floorRatio < 0.9) belowFloor.push(`At ${perRequest} item${perRequest === 1 ? '' : 's'} per request the bare Node hop itself reaches ${floorRatio.toFixed(2)} of direct: a goal of 0.9 there is under what one more Node process costs on this machine, and the plugin's gap to the floor (${(median(ratios) / floorRatio).toFixed(2)} of it) is the kernel's own share.`);
}

const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];
const searchRounds = { pluginP50: [] as number[], pluginP99: [] as number[], directP50: [] as number[], directP99: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const lat = { plugin: [] as number[], direct: [] as number[] };
  for (let i = 0; i < 150; i++) {
    const q = `${words[i % words.length]} code E-${1000 + i}`;
    let s = performance.now();
    await post(`${k.url}/api/search`, { collection: 'bench', query: q, limit: 10 });
    lat.plugin.push(performance.now() - s);
    s = performance.now();
    const e = await post(`${E}/v1/embeddings`, { input: [q], output: ['dense', 'sparse'] });
    await post(`${Q}/collections/direct/points/query`, { prefetch: [{ query: e.data[0].embedding, using: 'dense', limit: 50 }, { query: e.data[0].sparse, using: 'sparse', limit: 50 }], query: { fusion: 'rrf' }, limit: 10, with_payload: true });
    lat.direct.push(performance.now() - s);
  }
  searchRounds.pluginP50.push(pct(lat.plugin, 50));
  searchRounds.pluginP99.push(pct(lat.plugin, 99));
  searchRounds.directP50.push(pct(lat.direct, 50));
  searchRounds.directP99.push(pct(lat.direct, 99));
}
const searchRows: Array<Record<string, Cell>> = [
  { path: 'plugin', 'search p50 ms': fmt(searchRounds.pluginP50, 2), 'search p99 ms': fmt(searchRounds.pluginP99, 2) },
  { path: 'direct', 'search p50 ms': fmt(searchRounds.directP50, 2), 'search p99 ms': fmt(searchRounds.directP99, 2) },
  { path: 'added', 'search p50 ms': fmt(searchRounds.pluginP50.map((x, i) => x - searchRounds.directP50[i]), 2), 'search p99 ms': fmt(searchRounds.pluginP99.map((x, i) => x - searchRounds.directP99[i]), 2) },
];
console.log(`Ingest (${ROUNDS} rounds, median (min–max))`);
console.table(ingestRows);
console.table(searchRows);
const { embeddingsConfigSchema } = await import('../../plugins/embeddings/src/config.js');
const ingestDefaults = embeddingsConfigSchema.parse({});
writeSection('embeddings', 'Ingest and search (tests/bench/embeddings.bench.ts)',
  `The fake embedding service (its vectors written as bge-m3 writes them: float32 values in all their digits, about 20 KB of JSON each), the fake Qdrant and the kernel (built, as \`npm start\` runs it) each in a process of their own. Direct: the client embeds 64 items, upserts them with wait, then the next 64. Plugin: \`POST /api/collections/<name>/points\`, pipelined (batch ${ingestDefaults.ingestBatch} items, depth ${ingestDefaults.ingestDepth}). Node floor: a bare node:http server between the client and the two services doing what the direct client does (tests/bench/ingest-floor.mjs), what one more Node hop costs on this machine. After a warm-up of ${WARM_UP_REQUESTS} 1-item and 10 64-item requests on every path (a long-running server is measured, not its JIT's first seconds), ${ROUNDS} rounds, the paths taking turns request by request; median (min–max). Kernel CPU: the kernel process's CPU over a round, per item ingested.\n\n${markdownTable(ingestRows)}\n${belowFloor.map((l) => `${l}\n\n`).join('')}Hybrid search, 150 queries a round:\n\n${markdownTable(searchRows)}`);
await k.stop();
floor.stop();
emb.stop();
qd.stop();
