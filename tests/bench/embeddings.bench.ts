/** Embeddings benchmark: ingest throughput (items/s) and hybrid search latency p50/p99 through the plugin vs calling
 *  the fake embedding service + fake Qdrant directly with the same requests. */
import 'reflect-metadata';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

const k = await createTestKernel({ plugins: ['embeddings'] });
const { embeddings, qdrant } = k.sim!.servicePorts;
const E = `http://127.0.0.1:${embeddings.port}`;
const Q = `http://127.0.0.1:${qdrant.port}`;
const N = 600;
const words = 'pump error code seal valve impeller filter invoice billing travel budget quarter report schedule maintenance'.split(' ');
const items = Array.from({ length: N }, (_, i) => ({ id: `doc-${i}`, text: `${words[i % words.length]} ${words[(i * 7) % words.length]} record ${i} code E-${1000 + i}`, payload: { tenant: i % 2 ? 'a' : 'b' } }));
const post = (url: string, body: unknown, method = 'POST') => fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

await fetch(`${k.url}/api/collections/bench`, { method: 'PUT' });
let t0 = performance.now();
for (let i = 0; i < N; i += 100) await post(`${k.url}/api/collections/bench/points`, { items: items.slice(i, i + 100) });
const viaPlugin = N / ((performance.now() - t0) / 1000);

await post(`${Q}/collections/direct`, { vectors: { dense: { size: 1024, distance: 'Cosine' } }, sparse_vectors: { sparse: {} } }, 'PUT');
t0 = performance.now();
for (let i = 0; i < N; i += 100) {
  const chunk = items.slice(i, i + 100);
  for (let j = 0; j < chunk.length; j += 64) {
    const part = chunk.slice(j, j + 64);
    const e = await post(`${E}/v1/embeddings`, { input: part.map((x) => x.text), output: ['dense', 'sparse'] });
    await post(`${Q}/collections/direct/points?wait=true`, { points: part.map((x, n) => ({ id: 1 + i + j + n, vector: { dense: e.data[n].embedding, sparse: e.data[n].sparse }, payload: x.payload })) }, 'PUT');
  }
}
const direct = N / ((performance.now() - t0) / 1000);

const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];
const lat = { plugin: [] as number[], direct: [] as number[] };
for (let i = 0; i < 200; i++) {
  const q = `${words[i % words.length]} code E-${1000 + i}`;
  let s = performance.now();
  await post(`${k.url}/api/search`, { collection: 'bench', query: q, limit: 10 });
  lat.plugin.push(performance.now() - s);
  s = performance.now();
  const e = await post(`${E}/v1/embeddings`, { input: [q], output: ['dense', 'sparse'] });
  await post(`${Q}/collections/direct/points/query`, { prefetch: [{ query: e.data[0].embedding, using: 'dense', limit: 50 }, { query: e.data[0].sparse, using: 'sparse', limit: 50 }], query: { fusion: 'rrf' }, limit: 10, with_payload: true });
  lat.direct.push(performance.now() - s);
}
// The official client on the same query path, to weigh it against the kernel's HTTP layer the plugin uses.
const { QdrantClient } = await import('@qdrant/js-client-rest');
const qc = new QdrantClient({ url: Q, checkCompatibility: false, timeout: 15_000 });
const clientLat: number[] = [];
for (let i = 0; i < 200; i++) {
  const q = `${words[i % words.length]} code E-${1000 + i}`;
  const e = await post(`${E}/v1/embeddings`, { input: [q], output: ['dense', 'sparse'] });
  const s = performance.now();
  await qc.query('direct', { prefetch: [{ query: e.data[0].embedding, using: 'dense', limit: 50 }, { query: e.data[0].sparse, using: 'sparse', limit: 50 }], query: { fusion: 'rrf' }, limit: 10, with_payload: true });
  clientLat.push(performance.now() - s);
}
const rawLat: number[] = [];
for (let i = 0; i < 200; i++) {
  const q = `${words[i % words.length]} code E-${1000 + i}`;
  const e = await post(`${E}/v1/embeddings`, { input: [q], output: ['dense', 'sparse'] });
  const s = performance.now();
  await post(`${Q}/collections/direct/points/query`, { prefetch: [{ query: e.data[0].embedding, using: 'dense', limit: 50 }, { query: e.data[0].sparse, using: 'sparse', limit: 50 }], query: { fusion: 'rrf' }, limit: 10, with_payload: true });
  rawLat.push(performance.now() - s);
}
console.log(`Qdrant query only: @qdrant/js-client-rest p50 ${pct(clientLat, 50).toFixed(2)} ms / p99 ${pct(clientLat, 99).toFixed(2)} ms; plain REST p50 ${pct(rawLat, 50).toFixed(2)} ms / p99 ${pct(rawLat, 99).toFixed(2)} ms`);
console.table([
  { path: 'plugin', 'ingest items/s': Math.round(viaPlugin), 'search p50 ms': +pct(lat.plugin, 50).toFixed(2), 'search p99 ms': +pct(lat.plugin, 99).toFixed(2) },
  { path: 'direct', 'ingest items/s': Math.round(direct), 'search p50 ms': +pct(lat.direct, 50).toFixed(2), 'search p99 ms': +pct(lat.direct, 99).toFixed(2) },
]);
console.log(`ingest ratio plugin/direct ${(viaPlugin / direct).toFixed(2)}; search p50 added ${(pct(lat.plugin, 50) - pct(lat.direct, 50)).toFixed(2)} ms`);
await k.stop();
