import { createServer, request } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, NotReadyError } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

// One request pipeline (RequestPipeline): every declared route, a running plugin's or the kernel's, is served on the raw
// Node objects after the same guards; Koa answers only what no route declares (the UI's files, a stopped plugin's
// 503, 404/405). These tests pin both halves: what reaches Koa, and that a route answers the same way it did when Koa
// served it.

const lane = defineSparkPlugin({
  manifest: { id: 'lane', name: 'lane', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    ctx.routes.add({ method: 'GET', path: '/item/:id', params: z.object({ id: z.coerce.number().int() }), query: z.object({ full: z.enum(['0', '1']).optional() }) },
      (c) => ({ id: c.params.id, full: c.query.full === '1' }));
    ctx.routes.add({ method: 'POST', path: '/echo', body: z.object({ name: z.string().min(1) }) }, (c) => ({ hello: c.body.name }));
    ctx.routes.add({ method: 'GET', path: '/text' }, (c) => { c.setHeader('Content-Type', 'text/vtt; charset=utf-8'); return 'WEBVTT\n'; });
    ctx.routes.add({ method: 'POST', path: '/accepted' }, (c) => { c.status(202); return undefined; });
    ctx.routes.add({ method: 'GET', path: '/nothing' }, () => undefined);
    ctx.routes.add({ method: 'GET', path: '/boom', errorStyle: 'openai' }, () => { throw new Error('secret detail'); });
    // A wildcard under the plugin's own prefix must not swallow the kernel's /api/plugins/<id>/health.
    ctx.routes.add({ method: 'GET', path: '/*rest' }, (c) => ({ rest: c.params.rest }));
    ctx.publicRoutes('/lanepub').add({ method: 'GET', path: '/stream' }, (c) => { c.stream(Readable.from(['a', 'b', 'c']), 'text/plain'); });
  },
});

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

/** Paths that reached Koa (it builds a context for every request it serves). */
function koaSeen(kk: TestKernel): string[] {
  const seen: string[] = [];
  const koa = kk.app.koa as unknown as { createContext(req: { url?: string }, res: unknown): unknown };
  const original = koa.createContext.bind(koa);
  koa.createContext = (req, res) => { seen.push(req.url ?? ''); return original(req, res); };
  return seen;
}

describe('one request pipeline', () => {
  it('serves a running plugin\'s routes and the kernel\'s without Koa, and leaves only misses to Koa', async () => {
    k = await createTestKernel({ simulate: false, plugins: [lane] });
    const seen = koaSeen(k);
    const item = await k.fetch('/api/plugins/lane/item/7?full=1', { headers: { 'x-request-id': 'abc-123' } });
    expect(item.status).toBe(200);
    expect(item.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(item.headers.get('x-request-id')).toBe('abc-123');
    expect(item.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await item.json()).toEqual({ id: 7, full: true });
    expect(await (await k.fetch('/api/plugins/lane/some/deep/path')).json()).toEqual({ rest: 'some/deep/path' });
    expect(await (await k.fetch('/lanepub/stream')).text()).toBe('abc');
    expect(seen).toEqual([]);

    const health = await k.fetch('/api/plugins/lane/health');
    expect(await health.json()).toMatchObject({ plugin: 'lane', state: 'running' });
    expect((await k.fetch('/api/info')).status).toBe(200);
    expect((await k.fetch('/lanepub/missing')).status).toBe(404);
    expect(seen).toEqual(['/lanepub/missing']);
  });

  it('answers like Koa did: text with its own type, 202 with its reason, 204, HEAD without a body, 405 naming the methods', async () => {
    k = await createTestKernel({ simulate: false, plugins: [lane] });
    const text = await k.fetch('/api/plugins/lane/text');
    expect(text.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    expect(await text.text()).toBe('WEBVTT\n');
    const accepted = await k.fetch('/api/plugins/lane/accepted', { method: 'POST' });
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe('Accepted');
    expect((await k.fetch('/api/plugins/lane/nothing')).status).toBe(204);
    const head = await k.fetch('/api/plugins/lane/item/3', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(JSON.stringify({ id: 3, full: false }).length));
    expect(await head.text()).toBe('');
    const wrong = await k.fetch('/api/plugins/lane/echo', { method: 'GET' });
    // GET /echo is taken by the wildcard; DELETE is declared nowhere on the path.
    expect(wrong.status).toBe(200);
    const del = await k.fetch('/api/plugins/lane/item/3', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toContain('GET');
    expect((await del.json()).code).toBe('SPK_METHOD_NOT_ALLOWED');
  });

  it('refuses bad input, cross-origin writes and missing tokens with the same problems on plugin and kernel routes', async () => {
    k = await createTestKernel({ simulate: false, plugins: [lane] });
    const bad = await k.fetch('/api/plugins/lane/item/x');
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('params.id');
    const noName = await k.fetch('/api/plugins/lane/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":""}' });
    expect(noName.status).toBe(400);
    expect((await noName.json()).errors[0].field).toBe('name');
    const notJson = await k.fetch('/api/plugins/lane/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(notJson.status).toBe(415);
    const csrf = await k.fetch('/api/plugins/lane/echo', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"name":"x"}' });
    expect(csrf.status).toBe(403);
    expect(csrf.headers.get('content-type')).toBe('application/problem+json');
    expect((await csrf.json()).code).toBe('SPK_CSRF');
    const boom = await k.fetch('/api/plugins/lane/boom');
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { message: 'internal error', type: 'api_error', code: 'SPK_INTERNAL', param: null } });

    await k.fetch('/api/config/auth', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"token":"t0ken-for-the-lane"}' });
    const anon = await k.fetch('/api/plugins/lane/item/1');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toContain('Bearer');
    expect((await k.fetch('/api/plugins/lane/item/1', { headers: { authorization: 'Bearer t0ken-for-the-lane' } })).status).toBe(200);
    const login = await k.fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken-for-the-lane' }, body: '{"token":"t0ken-for-the-lane"}' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    expect((await k.fetch('/api/plugins/lane/item/1', { headers: { cookie: `other=1; ${cookie}` } })).status).toBe(200);
  });

  it('hands a plugin that is not running back to Koa (503 naming the state) and counts lane requests in /metrics', async () => {
    const late = defineSparkPlugin({
      manifest: { id: 'late', name: 'late', version: '1.0.0', apiVersion: '^2.0.0' },
      configSchema: z.object({}),
      register(ctx) {
        ctx.routes.add({ method: 'GET', path: '/ping' }, () => ({ ok: true }));
        ctx.lifecycle.onStart(() => { throw new NotReadyError('still warming up'); });
      },
    });
    k = await createTestKernel({ simulate: false, plugins: [lane, late], retryBaseMs: 60_000 });
    const seen = koaSeen(k);
    for (let i = 0; i < 3; i++) await k.fetch('/api/plugins/lane/item/1');
    const off = await k.fetch('/api/plugins/late/ping');
    expect(off.status).toBe(503);
    expect(off.headers.get('retry-after')).toBe('5');
    expect(await off.json()).toMatchObject({ code: 'SPK_PLUGIN_NOT_RUNNING', plugin: 'late' });
    expect(seen).toEqual(['/api/plugins/late/ping']);
    const metrics = await (await k.fetch('/metrics')).text();
    expect(metrics).toMatch(/spark_http_requests_total\{[^}]*plugin="lane"[^}]*status="200"[^}]*\} 3/);
  });

  it('a proxied answer carries the request id and security headers, with the upstream\'s own headers intact', async () => {
    const upstream = createServer((_req, res) => {
      res.writeHead(201, [['Content-Type', 'application/json'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Frame-Options', 'SAMEORIGIN']].flat());
      res.end('{"up":true}');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const proxying = defineSparkPlugin({
      manifest: { id: 'relay', name: 'relay', version: '1.0.0', apiVersion: '^2.0.0' },
      configSchema: z.object({}),
      register(ctx) { ctx.publicRoutes('/relay').add({ method: 'GET', path: '/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, { service: 'relay-up', baseUrl })); },
    });
    try {
      k = await createTestKernel({ simulate: false, plugins: [proxying] });
      const seen = koaSeen(k);
      const r = await k.fetch('/relay/x', { headers: { 'x-request-id': 'relay-1' } });
      expect(r.status).toBe(201);
      expect(await r.json()).toEqual({ up: true });
      expect(r.headers.get('x-request-id')).toBe('relay-1');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(seen).toEqual([]);
    } finally {
      upstream.close();
    }
  });

  it('runs every route in the pipeline under the path its guards checked: a fragment is dropped as Koa did, an absolute-form target\'s dot segments are resolved, and Koa runs no route', async () => {
    k = await createTestKernel({ simulate: false, plugins: [lane] });
    const seen = koaSeen(k);
    const { host } = new URL(k.url);
    // Sent as written (fetch would resolve dot segments and drop the fragment itself).
    const raw = (target: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request(`${k!.url}/`, { path: target }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      r.on('error', reject);
      r.end();
    });
    expect(await raw('/api/plugins/lane/item/7?full=1#frag')).toEqual({ status: 200, body: '{"id":7,"full":true}' });
    expect((await raw('/api/info#frag')).status).toBe(200);
    expect(await raw(`http://${host}/api/plugins/lane/x/../item/8`)).toEqual({ status: 200, body: '{"id":8,"full":false}' });
    expect(seen).toEqual([]);
    // Before resolution this path is under lane's wildcard; resolved it is no route at all: 404, not lane's answer.
    const escaped = await raw(`http://${host}/api/plugins/lane/x/../../../api/nothing-here`);
    expect(escaped.status).toBe(404);
    expect(escaped.body).not.toContain('rest');
    expect(seen).toHaveLength(1);
  });

  it('a disabled plugin\'s routes answer 503 naming the state (own and public prefixes), and work again once enabled', async () => {
    k = await createTestKernel({ simulate: false, plugins: [lane] });
    expect((await k.fetch('/api/plugins/lane/disable', { method: 'POST' })).status).toBe(200);
    for (const path of ['/api/plugins/lane/item/1', '/lanepub/stream']) {
      const off = await k.fetch(path);
      expect(off.status, path).toBe(503);
      expect(await off.json()).toMatchObject({ code: 'SPK_PLUGIN_NOT_RUNNING', plugin: 'lane', state: 'disabled' });
    }
    expect((await k.fetch('/api/plugins/lane/enable', { method: 'POST' })).status).toBe(200);
    expect(await (await k.fetch('/lanepub/stream')).text()).toBe('abc');
  });
});
