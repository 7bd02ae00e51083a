import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import Database from 'better-sqlite3';
import { ActivityStore } from './src/activity/activityStore.js';

let k: TestKernel;
const chat = (body: object) => k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const activity = async (q = '') => {
  const r = await k.fetch(`/api/plugins/vllm/activity${q}`);
  expect(r.status, q).toBe(200);
  return r.json() as Promise<{ total: number; entries: Array<Record<string, unknown>> }>;
};
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) { await new Promise((r) => setTimeout(r, 100)); v = await f(); }
  return v;
}

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
  writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300, tokenDelayMs: 5 }));
  const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
  expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
});
afterAll(async () => { await k?.stop(); });

describe('activity log of proxied /v1 requests', () => {
  it('records a plain chat with the token counts of its usage, and a streamed one with TTFT and the usage of its last chunk', async () => {
    const plain = await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'one two three' }], max_tokens: 4 });
    expect(plain.status).toBe(200);
    const usage = (await plain.json()).usage;
    const s = await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'stream me please' }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    const text = await s.text();
    expect(text).toContain('"usage"');
    const a = await until(() => activity(), (v) => v.entries.length >= 2);
    const [streamed, first] = a.entries;
    expect(first).toMatchObject({ method: 'POST', path: '/v1/chat/completions', model: 'qwen3-4b', status: 200, stream: false, ttftMs: null, tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens });
    expect(first.client).toMatch(/127\.0\.0\.1/);
    expect(streamed).toMatchObject({ model: 'qwen3-4b', status: 200, stream: true, tokensOut: 6 });
    expect(streamed.tokensIn).toBeGreaterThan(0);
    expect(streamed.ttftMs).toEqual(expect.any(Number));
    expect(streamed.durationMs as number).toBeGreaterThanOrEqual(streamed.ttftMs as number);
    expect(Date.parse(String(streamed.at))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records refused requests with their status, and filters by model, status, since and limit', async () => {
    expect((await chat({ model: 'qwen3-4b', messages: 'not a list' })).status).toBe(400);
    await until(() => activity('?status=400'), (v) => v.entries.length >= 1);
    const bad = await activity('?status=400');
    expect(bad.entries.length).toBeGreaterThanOrEqual(1);
    expect(bad.entries.every((e) => e.status === 400)).toBe(true);
    const ok = await activity('?status=200&model=qwen3-4b');
    expect(ok.entries.length).toBe(2);
    expect((await activity('?model=another-model')).entries).toEqual([]);
    expect((await activity(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).entries).toEqual([]);
    expect((await activity(`?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`)).entries.length).toBeGreaterThanOrEqual(3);
    expect((await activity('?limit=1')).entries).toHaveLength(1);
  });

  it('has the tokens of a stream that did not ask for usage: its client never sees the usage chunk, the count does', async () => {
    const n = (await activity()).entries.length;
    const quiet = await (await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'quiet stream' }], max_tokens: 5, stream: true })).text();
    expect(quiet).not.toContain('"usage"');
    const b = await until(() => activity(), (v) => v.entries.length > n);
    expect(b.entries[0]).toMatchObject({ stream: true, status: 200, tokensIn: 2, tokensOut: 5 });
  });

  it('keeps the streams\' time to first token per model as a history series (vllm.ttft, ms)', async () => {
    await (await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'time me' }], max_tokens: 3, stream: true })).text();
    const [entry] = (await until(() => activity('?limit=1'), (v) => v.entries[0]?.ttftMs !== undefined)).entries;
    // The kernel samples every 5 s; a step now takes whatever its own timer has not taken yet.
    k.app.services.history.step(Date.now());
    const h = await (await k.fetch(`/api/history?series=vllm.ttft&from=${Date.now() - 60_000}`)).json() as { sets: Array<{ labels: Record<string, string>; unit: string; points: Array<{ v: number }> }> };
    const set = h.sets.find((x) => x.labels.model === 'qwen3-4b');
    expect(set?.unit).toBe('ms');
    expect(set!.points.length).toBeGreaterThanOrEqual(1);
    expect(set!.points.every((p) => p.v >= 0 && p.v <= (entry.durationMs as number) + 1000)).toBe(true);
  });

  it('refuses a bad filter with a 400 naming it', async () => {
    for (const [q, field] of [['status=abc', 'query.status'], ['status=42', 'query.status'], ['since=yesterday', 'query.since'], ['limit=0', 'query.limit'], ['limit=100000', 'query.limit']]) {
      const r = await k.fetch(`/api/plugins/vllm/activity?${q}`);
      expect(r.status, q).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field), q).toContain(field);
    }
  });
});

describe('the client of each request', () => {
  it('records the name and id of a keyed client and of an anonymous one, and filters by either', async () => {
    const made = await (await k.fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'crm', scopes: ['admin', 'inference'] }) })).json();
    expect(made.key).toMatch(/^spk_/);
    const keyed = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${made.key}` }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'from the crm' }], max_tokens: 2 }) });
    expect(keyed.status).toBe(200);
    const anon = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-client-name': 'nightly-cron' }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'from cron' }], max_tokens: 2 }) });
    expect(anon.status).toBe(200);
    const byName = await until(() => activity('?client=crm'), (v) => v.entries.length >= 1);
    expect(byName.entries).toHaveLength(1);
    expect(byName.entries[0]).toMatchObject({ client: 'crm', clientId: made.client.id, tokensOut: 2 });
    expect((await activity(`?client=${made.client.id}`)).entries.map((e) => e.clientId)).toEqual([made.client.id]);
    const cron = await activity('?client=anon:nightly-cron');
    expect(cron.entries).toHaveLength(1);
    expect(cron.entries[0]).toMatchObject({ client: 'nightly-cron', clientId: 'anon:nightly-cron' });
    expect((await activity('?client=nobody')).entries).toEqual([]);
    expect((await k.fetch('/api/plugins/vllm/activity?client=')).status).toBe(400);
  });

  it('adds the client id column to a table written before it, keeping the old rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-'));
    try {
      const old = new Database(join(dir, 'activity.sqlite'));
      old.exec(`CREATE TABLE requests (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, client TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, model TEXT, status INTEGER NOT NULL, duration_ms INTEGER NOT NULL, ttft_ms INTEGER, tokens_in INTEGER, tokens_out INTEGER, stream INTEGER NOT NULL);
        INSERT INTO requests (at, client, method, path, model, status, duration_ms, stream) VALUES (1, '10.0.0.9', 'POST', '/v1/completions', 'm', 200, 5, 0);`);
      old.close();
      const store = new ActivityStore(dir, 5, 60_000);
      store.record({ at: 2, client: 'crm', clientId: 'c_0123456789ab', method: 'POST', path: '/v1/completions', model: 'm', status: 200, durationMs: 1, ttftMs: null, tokensIn: 1, tokensOut: 1, stream: false });
      expect(store.query({ limit: 10 }).entries.map((e) => [e.client, e.clientId])).toEqual([['crm', 'c_0123456789ab'], ['10.0.0.9', null]]);
      expect(store.query({ client: 'c_0123456789ab', limit: 10 }).entries).toHaveLength(1);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the activity table is bounded', () => {
  it('keeps only the newest maxRows, newest first, after batched writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-'));
    try {
      const store = new ActivityStore(dir, 5, 60_000);
      for (let i = 0; i < 12; i++) store.record({ at: 1000 + i, client: '127.0.0.1', method: 'POST', path: '/v1/completions', model: `m${i % 2}`, status: 200, durationMs: i, ttftMs: null, tokensIn: i, tokensOut: null, stream: false });
      store.flush();
      for (let i = 12; i < 15; i++) store.record({ at: 1000 + i, client: '127.0.0.1', method: 'POST', path: '/v1/completions', model: `m${i % 2}`, status: 200, durationMs: i, ttftMs: null, tokensIn: i, tokensOut: null, stream: false });
      const all = store.query({ limit: 100 });
      expect(all.total).toBe(5);
      expect(all.entries.map((e) => e.tokensIn)).toEqual([14, 13, 12, 11, 10]);
      expect(store.query({ model: 'm0', limit: 100 }).entries.map((e) => e.tokensIn)).toEqual([14, 12, 10]);
      store.close();
      const again = new ActivityStore(dir, 5, 60_000);
      expect(again.query({ limit: 100 }).total).toBe(5);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
