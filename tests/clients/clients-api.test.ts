import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** A plugin with one route of each kind a key's scope is checked against, and one that counts usage. */
const waiting: Array<() => void> = [];
const release = () => { for (const f of waiting.splice(0)) f(); };
const target = () => defineSparkPlugin({
  manifest: { id: 'target', name: 'target', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    const pub = ctx.publicRoutes('/v9/work', { scope: 'inference' });
    pub.add({ method: 'POST', path: '/run', body: z.strictObject({ tokens: z.number().int().min(0).default(0) }) }, (c) => {
      c.usage({ prompt_tokens: c.body.tokens, completion_tokens: 1 }, 'subject-a');
      return { client: c.client.id, name: c.client.name, kind: c.client.kind, priority: c.client.priority, mayUseX: c.client.allows('things', 'x') };
    });
    pub.add({ method: 'POST', path: '/slow', bodyMode: 'raw' }, () => new Promise((r) => { waiting.push(() => r({ ok: true })); }));
    pub.add({ method: 'GET', path: '/list' }, () => ({ items: [] }));
    ctx.routes.add({ method: 'POST', path: '/admin-thing', bodyMode: 'raw' }, () => ({ ok: true }));
    ctx.routes.add({ method: 'GET', path: '/status' }, () => ({ ok: true }));
  },
});

let k: TestKernel | undefined;
afterEach(async () => { release(); await k?.stop(); k = undefined; });

const json = { 'content-type': 'application/json' };
async function create(body: unknown): Promise<{ status: number; key: string; client: Record<string, unknown>; raw: Record<string, unknown> }> {
  const r = await k!.fetch('/api/clients', { method: 'POST', headers: json, body: JSON.stringify(body) });
  const raw = await r.json() as Record<string, unknown>;
  return { status: r.status, key: raw.key as string, client: raw.client as Record<string, unknown>, raw };
}
const call = (path: string, key: string | undefined, init: RequestInit = {}) =>
  k!.fetch(path, { ...init, headers: { ...(init.body ? json : {}), ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string> ?? {}) } });
const run = (key: string | undefined, tokens = 0, headers: Record<string, string> = {}) => call('/v9/work/run', key, { method: 'POST', body: JSON.stringify({ tokens }), headers });

describe('clients and API keys', () => {
  it('a key is shown once, stored hashed, identifies its client, and stops working when revoked', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const made = await create({ name: 'crm', scopes: ['inference'], priority: 5, allow: { things: ['y'] } });
    expect(made.status).toBe(201);
    expect(made.key).toMatch(/^spk_[A-Za-z0-9_-]{43}$/);
    expect(made.client).toMatchObject({ name: 'crm', scopes: ['inference'], priority: 5, active: true, revokedAt: null });
    expect(String(made.client.keyPrefix)).toBe(made.key.slice(0, 10));
    // Listed without the key, and the database holds only its hash.
    const list = await (await k.fetch('/api/clients')).text();
    expect(list).not.toContain(made.key);
    const row = k.app.clients.db.prepare('SELECT key_hash FROM clients').get() as { key_hash: string };
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(k.app.clients.db.prepare('SELECT * FROM clients').all())).not.toContain(made.key);

    const r = await run(made.key);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ client: made.client.id, name: 'crm', kind: 'key', priority: 5, mayUseX: false });

    const del = await k.fetch(`/api/clients/${made.client.id}`, { method: 'DELETE' });
    expect((await del.json()).active).toBe(false);
    const after = await run(made.key);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('Bearer');
    expect((await after.json()).code).toBe('SPK_CLIENT_KEY_INACTIVE');
    // An unknown key-shaped bearer is refused, not served as anonymous; another bearer (the openai client's "EMPTY") is.
    expect((await run('spk_' + 'x'.repeat(43))).status).toBe(401);
    expect((await run('EMPTY')).status).toBe(200);
  });

  it('without keys, a request is an anonymous client named by X-Client-Name or its address', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    expect(await (await run(undefined, 0, { 'x-client-name': 'cron-nightly' })).json()).toMatchObject({ client: 'anon:cron-nightly', kind: 'anonymous' });
    expect(await (await run(undefined)).json()).toMatchObject({ client: 'anon:127.0.0.1' });
    // A header that is not a plain label falls back to the address.
    expect(await (await run(undefined, 0, { 'x-client-name': '../../etc' })).json()).toMatchObject({ client: 'anon:127.0.0.1' });
  });

  it('scopes: inference calls inference routes, read calls GETs, admin everything', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const inf = (await create({ name: 'i', scopes: ['inference'] })).key;
    const read = (await create({ name: 'r', scopes: ['read'] })).key;
    const admin = (await create({ name: 'a', scopes: ['admin'] })).key;
    const cases: Array<[string, string, RequestInit, number, number, number]> = [
      // path, label, init, inference, read, admin
      ['/v9/work/run', 'POST inference', { method: 'POST', body: '{}' }, 200, 403, 200],
      ['/v9/work/list', 'GET inference', {}, 200, 200, 200],
      ['/api/plugins/target/admin-thing', 'POST admin', { method: 'POST', body: '{}' }, 403, 403, 200],
      ['/api/plugins/target/status', 'GET plain', {}, 403, 200, 200],
      ['/api/clients', 'GET admin-only', {}, 403, 403, 200],
      ['/api/usage', 'GET usage', {}, 403, 200, 200],
    ];
    for (const [path, label, init, ...want] of cases) {
      const got = [];
      for (const key of [inf, read, admin]) got.push((await call(path, key, init)).status);
      expect(got, label).toEqual(want);
    }
    const refused = await call('/v9/work/run', read, { method: 'POST', body: '{}' });
    expect(await refused.json()).toMatchObject({ status: 403, code: 'SPK_CLIENT_SCOPE' });
  });

  it('the configured token stays an admin key, and with it set an unkeyed request is refused', async () => {
    const TOKEN = 'correct-horse-battery-staple-42';
    k = await createTestKernel({ simulate: false, plugins: [target()], config: { auth: { token: TOKEN } } });
    expect((await run(undefined)).status).toBe(401);
    expect(await (await run(TOKEN)).json()).toMatchObject({ client: 'admin', kind: 'token' });
    const made = await call('/api/clients', TOKEN, { method: 'POST', body: JSON.stringify({ name: 'agent', scopes: ['inference'] }) });
    const key = ((await made.json()) as { key: string }).key;
    expect((await run(key)).status).toBe(200);
    expect((await call('/api/config', key)).status).toBe(403);
  });

  it('refuses bad input by field: unknown fields, bad scopes, limits, names, expiry; a duplicate name is 409', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const bad: Array<[unknown, string]> = [
      [{ name: 'x', scopes: ['inference'], scope: 'admin' }, 'scope'],
      [{ name: 'x', scopes: ['root'] }, 'scopes.0'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: '', scopes: ['read'] }, 'name'],
      [{ name: 'x', scopes: ['read'], limits: { perMinute: 0 } }, 'limits.perMinute'],
      [{ name: 'x', scopes: ['read'], limits: { perHour: 5 } }, 'limits.perHour'],
      [{ name: 'x', scopes: ['read'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', scopes: ['read'], allow: { Things: ['a'] } }, 'allow.Things'],
      [{ name: 'x', scopes: ['read'], priority: 1000 }, 'priority'],
    ];
    for (const [body, field] of bad) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.raw.errors as Array<{ field: string }>).map((e) => e.field), JSON.stringify(body)).toContain(field);
    }
    expect(k.app.clients.registry.list()).toEqual([]);
    expect((await create({ name: 'twin', scopes: ['read'] })).status).toBe(201);
    const dup = await create({ name: 'twin', scopes: ['read'] });
    expect(dup.status).toBe(409);
    expect(dup.raw.errors).toEqual([{ field: 'name', message: 'already used by an active client' }]);
    expect((await k.fetch('/api/clients/c_000000000000', { method: 'DELETE' })).status).toBe(404);
    expect((await k.fetch('/api/clients/nope')).status).toBe(400);
  });

  it('an expired key is refused', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const made = await create({ name: 'short', scopes: ['inference'], expiresAt: new Date(Date.now() + 400).toISOString() });
    expect((await run(made.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await run(made.key)).status).toBe(401);
    expect((await (await k.fetch(`/api/clients/${made.client.id}`)).json()).active).toBe(false);
  });
});

describe('limits', () => {
  it('requests per minute: the n-th passes, the n+1-th is 429 with Retry-After, in the route\'s envelope', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const { key } = await create({ name: 'burst', scopes: ['inference'], limits: { perMinute: 5 } });
    for (let i = 0; i < 5; i++) expect((await run(key)).status).toBe(200);
    const over = await run(key);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    expect((await over.json()).code).toBe('SPK_CLIENT_PER_MINUTE');
    // Another client is not affected.
    expect((await run(undefined)).status).toBe(200);
  });

  it('concurrent requests: a third while two are in flight is 429; one finishing lets the next in', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const { key } = await create({ name: 'par', scopes: ['inference'], limits: { concurrent: 2 } });
    const slow = () => call('/v9/work/slow', key, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    const a = slow();
    const b = slow();
    while (waiting.length < 2) await new Promise((r) => setTimeout(r, 10));
    const c = await run(key);
    expect(c.status).toBe(429);
    expect((await c.json()).code).toBe('SPK_CLIENT_CONCURRENCY');
    expect(c.headers.get('retry-after')).toBe('1');
    release();
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect((await run(key)).status).toBe(200);
  });

  it('tokens per day: once today\'s prompt + completion tokens reach the limit, the next request is 429 until midnight UTC', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const { key } = await create({ name: 'quota', scopes: ['inference'], limits: { tokensPerDay: 100 } });
    expect((await run(key, 49)).status).toBe(200); // 50
    expect((await run(key, 48)).status).toBe(200); // 99
    expect((await run(key, 0)).status).toBe(200); // 100: admitted at 99
    const over = await run(key, 0);
    expect(over.status).toBe(429);
    expect((await over.json()).code).toBe('SPK_CLIENT_DAILY_TOKENS');
    const retry = Number(over.headers.get('retry-after'));
    const now = new Date();
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(Math.abs(retry - (midnight - now.getTime()) / 1000)).toBeLessThan(5);
  });
});

describe('usage', () => {
  it('is counted per client, plugin and subject by day, and survives a restart', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()], usage: { flushMs: 50 } });
    const { key, client } = await create({ name: 'counted', scopes: ['inference'] });
    for (const t of [3, 4, 5]) await run(key, t);
    await run(undefined, 7, { 'x-client-name': 'script' });
    const dataDir = k.dataDir;
    await k.stop({ keepData: true });
    k = await createTestKernel({ simulate: false, plugins: [target()], dataDir });
    const u = await (await k.fetch('/api/usage')).json() as { rows: Array<{ client: string; plugin: string; subject: string; counter: string; value: number }>; names: Record<string, string> };
    const of = (c: string, counter: string, subject: string) => u.rows.find((r) => r.client === c && r.counter === counter && r.subject === subject)?.value;
    expect(of(client.id as string, 'prompt_tokens', 'subject-a')).toBe(12);
    expect(of(client.id as string, 'completion_tokens', 'subject-a')).toBe(3);
    expect(of(client.id as string, 'requests', '')).toBe(3);
    expect(of('anon:script', 'prompt_tokens', 'subject-a')).toBe(7);
    expect(u.names[client.id as string]).toBe('counted');
    expect(u.names['anon:script']).toBe('script');
    expect((await k.fetch('/api/usage?from=2026-13-01')).status).toBe(400);
    expect((await k.fetch('/api/usage?since=2026-01-01')).status).toBe(400);
  });
});

describe('dashboard login', () => {
  it('accepts an admin client\'s key as well as the token; an inference key is refused', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()], config: { auth: { token: 'correct-horse-battery-staple-42' } } });
    const mk = async (name: string, scopes: string[]) => ((await (await call('/api/clients', 'correct-horse-battery-staple-42', { method: 'POST', body: JSON.stringify({ name, scopes }) })).json()) as { key: string }).key;
    const admin = await mk('owner-laptop', ['admin']);
    const inf = await mk('agent', ['inference']);
    const login = (token: string) => k!.fetch('/api/login', { method: 'POST', headers: json, body: JSON.stringify({ token }) });
    const ok = await login(admin);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!.split(';')[0];
    expect((await k.fetch('/api/config', { headers: { cookie } })).status).toBe(200);
    expect((await login(inf)).status).toBe(401);
  });
});
