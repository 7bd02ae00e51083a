import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const TOKEN = 'correct-horse-battery-staple-42';
let changes = 0;
const target = () => defineSparkPlugin({
  manifest: { id: 'target', name: 'target', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({ apiKey: z.string().default('').meta({ secret: true }), level: z.number().int().min(1).max(5).default(3) }),
  register(ctx) {
    ctx.routes.add({ method: 'POST', path: '/change', body: z.object({ v: z.number() }) }, () => ({ changes: ++changes }));
    ctx.routes.add({ method: 'POST', path: '/text', bodyMode: 'raw' }, () => ({ changes: ++changes }));
  },
});

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

describe('CSRF guard', () => {
  it('refuses cross-site unsafe requests (Origin, Sec-Fetch-Site, text/plain tricks) and changes nothing', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const before = changes;
    const attempts: RequestInit[] = [
      { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"v":1}' },
      { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{"v":1}' },
      { method: 'POST', headers: { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body: '{"v":1}' },
      { method: 'POST', headers: { origin: 'null', 'content-type': 'text/plain' }, body: '{"v":1}' },
    ];
    for (const init of attempts) {
      const r = await k.fetch('/api/plugins/target/change', init);
      expect(r.status).toBe(403);
      expect((await r.json()).code).toBe('SPK_CSRF');
    }
    const put = await k.fetch('/api/config/plugins/target', { method: 'PUT', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"level":4}' });
    expect(put.status).toBe(403);
    expect(changes).toBe(before);
    const same = await k.fetch('/api/plugins/target/change', { method: 'POST', headers: { origin: k.url, 'content-type': 'application/json' }, body: '{"v":1}' });
    expect(same.status).toBe(200);
    // A JSON route refuses a text/plain body (a simple cross-origin form/fetch cannot send application/json).
    const plain = await k.fetch('/api/plugins/target/change', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"v":1}' });
    expect(plain.status).toBe(415);
  });
});

describe('bearer token', () => {
  it('with a token set, nothing but /health answers without it; the browser gets an HttpOnly cookie from /api/login', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()], config: { auth: { token: TOKEN } } });
    expect((await k.fetch('/health')).status).toBe(200);
    for (const p of ['/api/plugins', '/api/config', '/api/info', '/api/events', '/metrics', '/api/openapi.json', '/api/plugins/target/change', '/app.js']) {
      expect((await k.fetch(p)).status, p).toBe(401);
    }
    const page = await k.fetch('/', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login.html');
    expect((await k.fetch('/api/plugins', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await k.fetch('/api/plugins', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const bad = await k.fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'nope' }) });
    expect(bad.status).toBe(401);
    const login = await k.fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=strict/i);
    expect(cookie).not.toContain(TOKEN);
    expect((await k.fetch('/api/plugins', { headers: { cookie: cookie.split(';')[0] } })).status).toBe(200);
    // The token itself is never returned.
    const cfg = await (await k.fetch('/api/config', { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(cfg).not.toContain(TOKEN);
    expect(JSON.parse(cfg).auth).toEqual({ tokenSet: true });
  });
});

describe('config API', () => {
  it('rejects invalid values with field errors, persists nothing, masks secrets, keeps a masked secret unchanged', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const put = (body: unknown) => k!.fetch('/api/config/plugins/target', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await put({ level: 9 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toEqual([expect.objectContaining({ field: 'level' })]);
    expect((await put({ level: 2, apiKey: 'sk-very-secret-value' })).status).toBe(200);
    const shown = await (await k.fetch('/api/config')).json();
    expect(shown.plugins.target).toEqual({ level: 2, apiKey: '********' });
    expect((await put({ level: 4, apiKey: '********' })).status).toBe(200);
    const { readFileSync } = await import('node:fs');
    const stored = JSON.parse(readFileSync(`${k.dataDir}/config.json`, 'utf8'));
    expect(stored.plugins.target).toEqual({ level: 4, apiKey: 'sk-very-secret-value' });
    const hosts = await k.fetch('/api/config/cluster', { method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: [{ id: 'spark-1', name: 'S1', address: 'a;b', sshUser: 'x;y', sshPort: 70000 }] }) });
    expect(hosts.status).toBe(400);
    const fields = (await hosts.json()).errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['hosts.0.address', 'hosts.0.sshPort', 'hosts.0.sshUser']);
    expect(JSON.parse(readFileSync(`${k.dataDir}/config.json`, 'utf8')).hosts).toEqual([]);
  });

  it('answers garbage on every kernel route with a 4xx problem, never a 5xx', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const cases: Array<[string, string, string | undefined, string?]> = [
      ['PUT', '/api/config/plugins/target', '{not json', 'application/json'],
      ['PUT', '/api/config/plugins/target', '[1,2,3]', 'application/json'],
      ['PUT', '/api/config/plugins/target', 'level=3', 'application/x-www-form-urlencoded'],
      ['PUT', '/api/config/plugins/NOPE', '{}', 'application/json'],
      ['PUT', '/api/config/plugins/ghost', '{}', 'application/json'],
      ['PUT', '/api/config/cluster', '"hosts"', 'application/json'],
      ['PUT', '/api/config/cluster', JSON.stringify({ hosts: 'x'.repeat(2 * 1024 * 1024) }), 'application/json'],
      ['PUT', '/api/config/auth', JSON.stringify({ token: 'short' }), 'application/json'],
      ['POST', '/api/plugins/ghost/restart', undefined],
      ['POST', '/api/plugins/..%2f..%2fetc/restart', undefined],
      ['GET', '/api/jobs/not-a-uuid', undefined],
      ['POST', '/api/jobs/00000000-0000-4000-8000-000000000000/cancel', undefined],
      ['GET', '/api/connectivity?limit=-5', undefined],
      ['POST', '/api/login', '{}', 'application/json'],
      ['GET', '/plugins/target/ui/..%2f..%2f..%2fpackage.json', undefined],
      ['GET', '/vendor/%2e%2e/%2e%2e/package.json', undefined],
    ];
    for (const [method, path, body, type] of cases) {
      const r = await k.fetch(path, { method, body, headers: type ? { 'content-type': type } : {} });
      expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
      const ct = r.headers.get('content-type') ?? '';
      expect(ct, `${method} ${path}`).toContain('application/problem+json');
    }
  });
});
