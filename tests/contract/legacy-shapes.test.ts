import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** The Python tool's request shapes (docs/compatibility.md), replayed against the simulated cluster: accepted with
 *  the old rules where the old tool accepted them, refused by name where this project does not take them. */
let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', 'vllm', 'embeddings'], logLevel: 'warn', config: { plugins: { cluster: { pollIntervalMs: 60_000 } } } });
}, 60_000);
afterAll(async () => { await k?.stop(); });

const post = (path: string, body: unknown, method = 'POST') => k.fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
type Problem = { code: string; errors: Array<{ field: string; message: string }> };

describe('POST /api/models with the old snake_case entry', () => {
  it('local_path, served_name, tensor_parallel and a --chat-template inside local_path are taken as today\'s fields', async () => {
    const res = await post('/api/models', { id: 'old-local', name: 'Old local', local_path: '/models/old', served_name: 'old', tensor_parallel: 1, args: ['--max-model-len', '8192', '--chat-template', '/models/old/chat.jinja'] });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: 'old-local', localPath: '/models/old', servedName: 'old', tensorParallel: 1, chatTemplate: '/models/old/chat.jinja', args: ['--max-model-len', '8192'] });
    const listed = await (await k.fetch('/api/models')).json() as { models: Array<{ id: string; kind: string; localPath?: string }> };
    expect(listed.models.find((m) => m.id === 'old-local')).toMatchObject({ kind: 'local', localPath: '/models/old' });
  });

  it('--chat-template=<file> outside local_path is refused on args, as the old validator did', async () => {
    const res = await post('/api/models', { id: 'old-bad-tpl', name: 'x', local_path: '/models/old', served_name: 'old2', args: ['--chat-template=/etc/passwd'] });
    expect(res.status).toBe(400);
    const body = await res.json() as Problem;
    expect(body.errors).toEqual([{ field: 'args', message: '--chat-template must be a file inside localPath' }]);
  });

  it('exactly one source: repo with local_path is refused, nothing is stored', async () => {
    const res = await post('/api/models', { id: 'old-both', name: 'x', repo: 'org/x', local_path: '/models/x', served_name: 'x' });
    expect(res.status).toBe(400);
    expect((await res.json() as Problem).errors).toContainEqual({ field: 'repo', message: 'give exactly one of repo or localPath' });
    const listed = await (await k.fetch('/api/models')).json() as { models: Array<{ id: string }> };
    expect(listed.models.some((m) => m.id === 'old-both')).toBe(false);
  });

  it('an old and a new name for one field together, or a field no entry has, is refused by name', async () => {
    const both = await post('/api/models', { id: 'old-dup', name: 'x', local_path: '/models/x', localPath: '/models/y', served_name: 'x' });
    expect(both.status).toBe(400);
    expect((await both.json() as Problem).errors).toContainEqual({ field: 'local_path', message: 'give one of local_path or localPath' });
    const unknown = await post('/api/models', { id: 'old-unk', name: 'x', repo: 'org/x', servedName: 'x', chat_templat: '/x' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json() as Problem).errors).toEqual([{ field: 'chat_templat', message: 'unknown field; did you mean chatTemplate?' }]);
  });
});

describe('ingest and search with the old and Qdrant names', () => {
  it('ingest takes the old `points` as `items` (exactly one of the two); search takes rrf {k, weights} and score_threshold', async () => {
    expect((await post('/api/collections/legacy', {}, 'PUT')).status).toBeLessThan(300);
    const docs = [{ id: 'doc-1#0', text: 'Brightwater committed to the fund in March', payload: { tenant: 't1' } }, { id: 'doc-2#0', text: 'The weather in Oslo was cold', payload: { tenant: 't1' } }];
    const ingest = await post('/api/collections/legacy/points', { points: docs });
    expect(ingest.status).toBeLessThan(300);
    const both = await post('/api/collections/legacy/points', { points: docs, items: docs });
    expect(both.status).toBe(400);
    expect((await both.json() as Problem).errors.map((e) => e.field)).toEqual(['points']);

    const base = { collection: 'legacy', query: 'did Brightwater commit?', mode: 'hybrid', limit: 10, prefetch_limit: 50, fusion: 'rrf', with_payload: true };
    const plain = await post('/api/search', { ...base, rrf: { k: 60, weights: [1.0, 1.0] }, score_threshold: null });
    expect(plain.status).toBe(200);
    const hits = await plain.json() as { results: Array<{ id: unknown; score: number }>; fusion: string };
    expect(hits.fusion).toBe('rrf-weighted');
    expect(hits.results.length).toBe(2);
    // A threshold between the two scores keeps only the better one; above them all, none.
    const cut = (hits.results[0]!.score + hits.results[1]!.score) / 2;
    expect(hits.results[0]!.score).toBeGreaterThan(hits.results[1]!.score);
    const some = await (await post('/api/search', { ...base, rrf: { k: 60, weights: [1.0, 1.0] }, score_threshold: cut })).json() as { results: Array<{ id: unknown }> };
    expect(some.results.map((r) => r.id)).toEqual([hits.results[0]!.id]);
    const none = await (await post('/api/search', { ...base, score_threshold: 1e9 })).json() as { results: unknown[] };
    expect(none.results).toEqual([]);
    const twice = await post('/api/search', { ...base, weights: [1, 2], rrf: { weights: [1, 1] } });
    expect(twice.status).toBe(400);
    expect((await twice.json() as Problem).errors.map((e) => e.field)).toEqual(['rrf.weights']);
  });
});
