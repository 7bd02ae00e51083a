import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { codes } from '../../core/src/api/index.js';
import { embeddingsConfigSchema } from '../../plugins/embeddings/src/config.js';
import { speechConfigSchema } from '../../plugins/speech/src/config.js';
import type { SimCluster } from '../../sim/cluster.js';
import { readUntil, waitFor } from '../helpers/sseRead.js';

/** The speech and embeddings plugins' container logs (containerLogRoutes): the list, the tail, the follow, the refusals. */
let k: TestKernel;
let cluster: SimCluster;
let root: string;
const follows = () => cluster.server('spark-2').processes().filter((p) => p.command.includes('--follow')).length;

beforeAll(async () => {
  // The embedding service's container is configured under a name docker does not know: its log is a 404, Qdrant's is not.
  k = await createTestKernel({ plugins: ['speech', 'embeddings'], config: { plugins: { embeddings: { embeddingsContainer: 'renamed-embed' } } } });
  cluster = k.app.sim!.cluster as unknown as SimCluster;
  root = k.sim!.hostRoot('spark-2');
}, 60_000);
afterAll(async () => { await k?.stop(); });

describe('service container logs', () => {
  it('lists each service\'s container and the Spark it runs on', async () => {
    const r = await k.fetch('/api/plugins/speech/logs');
    expect(r.status).toBe(200);
    expect((await r.json()).containers).toEqual([
      { key: 'parakeet', hostId: 'spark-2', container: 'parakeet' },
      { key: 'kokoro', hostId: 'spark-2', container: 'kokoro' },
    ]);
    expect((await (await k.fetch('/api/plugins/embeddings/logs')).json()).containers.map((c: { key: string }) => c.key)).toEqual(['embeddings', 'qdrant']);
  });

  it('answers the last N lines of a container, with docker\'s timestamps', async () => {
    const r = await k.fetch('/api/plugins/speech/logs/parakeet?lines=2');
    expect(r.status).toBe(200);
    const { lines } = await r.json() as { lines: string[] };
    // The newest two lines of the file (a health check may have added one since).
    const all = readFileSync(join(root, 'state/containers/parakeet.log'), 'utf8').split('\n').filter(Boolean);
    const at = all.lastIndexOf(lines[1]);
    expect(all.slice(at - 1, at + 1)).toEqual(lines);
    expect(all.length - at).toBeLessThanOrEqual(3);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\S+Z INFO/.test(l))).toBe(true);
    const q = await (await k.fetch('/api/plugins/embeddings/logs/qdrant?lines=200')).json();
    expect(q.lines.length).toBeGreaterThanOrEqual(4);
    expect(q.lines.length).toBeLessThanOrEqual(200);
    expect(q.lines.some((l: string) => l.includes('Qdrant gRPC listening on 6334'))).toBe(true);
  });

  it('refuses a bad tail length or an unknown field with a 400 naming it, before anything is sent over SSH', async () => {
    const before = cluster.server('spark-2').processes().length;
    for (const q of ['lines=0', 'lines=abc', 'lines=999999', 'lines=1.5', 'lines=']) {
      for (const path of ['/api/plugins/speech/logs/kokoro', '/api/plugins/speech/logs/kokoro/follow']) {
        const r = await k.fetch(`${path}?${q}`);
        expect(r.status, `${path}?${q}`).toBe(400);
        expect((await r.json()).errors.map((e: { field: string }) => e.field), q).toContain('query.lines');
      }
    }
    const extra = await k.fetch('/api/plugins/speech/logs/kokoro?lines=5&tail=1');
    expect(extra.status).toBe(400);
    expect(JSON.stringify(await extra.json())).toContain('tail');
    expect(cluster.server('spark-2').processes().length).toBeLessThanOrEqual(before);
  });

  it('answers 404 naming the known logs for a container it does not serve, and 400 for a key that is not one', async () => {
    for (const path of ['/api/plugins/speech/logs/whisper', '/api/plugins/speech/logs/whisper/follow', '/api/plugins/speech/logs/constructor', '/api/plugins/embeddings/logs/parakeet']) {
      const r = await k.fetch(path);
      expect(r.status, path).toBe(404);
      const b = await r.json();
      expect(b.code, path).toBe(codes.LOG_CONTAINER_UNKNOWN);
      expect(b.errors[0].field).toBe('params.container');
    }
    for (const key of ['Parakeet', 'a%3Bb', '-x', 'x'.repeat(40)]) {
      const r = await k.fetch(`/api/plugins/speech/logs/${key}`);
      expect(r.status, key).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field)).toContain('params.container');
    }
  });

  it('answers 404 when the configured container is not on its Spark', async () => {
    const r = await k.fetch('/api/plugins/embeddings/logs/embeddings?lines=5');
    expect(r.status).toBe(404);
    const b = await r.json();
    expect(b.code).toBe(codes.LOG_CONTAINER_ABSENT);
    expect(b.detail).toContain('renamed-embed on spark-2');
  });

  it('refuses a container name docker would not take in the settings', () => {
    for (const bad of ['a;b', '$(id)', '-rf', '', 'x'.repeat(200)]) {
      expect(speechConfigSchema.safeParse({ kokoroContainer: bad }).success, bad).toBe(false);
      expect(embeddingsConfigSchema.safeParse({ qdrantContainer: bad }).success, bad).toBe(false);
    }
  });

  it('shows in the simulated containers\' logs the requests their fakes answered, as the real services print them', async () => {
    const r = await k.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'hello', response_format: 'wav' }) });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const kokoro = await (await k.fetch('/api/plugins/speech/logs/kokoro?lines=50')).json() as { lines: string[] };
    expect(kokoro.lines.some((l) => /INFO: +127\.0\.0\.1:\d+ - "POST \/v1\/audio\/speech HTTP\/1\.1" 200$/.test(l)), kokoro.lines.join('\n')).toBe(true);
    expect((await k.fetch('/api/collections')).status).toBe(200);
    const qdrant = await (await k.fetch('/api/plugins/embeddings/logs/qdrant?lines=50')).json() as { lines: string[] };
    expect(qdrant.lines.some((l) => l.includes('actix_web::middleware::logger: 127.0.0.1 "GET /collections HTTP/1.1" 200'))).toBe(true);
  });

  it('follows a container over SSE, and closing the stream stops the remote docker logs -f', async () => {
    const ac = new AbortController();
    const res = await k.fetch('/api/plugins/speech/logs/kokoro/follow?lines=3', { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = await readUntil(reader, /(event: line[^]*){3}/, 20_000);
    expect(text.match(/event: line/g)).toHaveLength(3);
    await waitFor(() => follows() === 1, 15_000);
    expect(follows()).toBe(1);
    appendFileSync(join(root, 'state/containers/kokoro.log'), `${new Date().toISOString()} INFO:     127.0.0.1 - "POST /v1/audio/speech HTTP/1.1" 200 OK\n`);
    text = await readUntil(reader, /200 OK"/, 15_000, text);
    expect(text).toMatch(/event: line\ndata: \{"line":"\S+ INFO: +127.0.0.1 - .+POST \/v1\/audio\/speech HTTP\/1.1.+ 200 OK"\}/);
    ac.abort();
    await waitFor(() => follows() === 0, 15_000);
    expect(follows()).toBe(0);
  }, 60_000);
});
