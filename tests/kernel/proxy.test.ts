import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** A fake upstream: SSE that emits one chunk every 100 ms until the client leaves, an echo for uploads, a hang. */
let upstream: Server;
let upstreamUrl = '';
const seen = { sseClosedEarly: 0, uploadBytes: 0, headers: {} as Record<string, unknown> };
const lockstep = { release: () => {}, waiting: Promise.resolve() };

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.headers = req.headers;
    if (req.url?.startsWith('/lockstep')) {
      // Sends chunk i+1 only after the client has read chunk i: a buffering proxy would deadlock here.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = () => {
        if (i === 5) { res.end('data: [DONE]\n\n'); return; }
        res.write(`data: ${JSON.stringify({ i })}\n\n`);
        lockstep.waiting = new Promise<void>((r) => (lockstep.release = r)).then(() => { i++; next(); });
      };
      next();
    } else if (req.url?.startsWith('/sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const t = setInterval(() => {
        res.write(`data: ${JSON.stringify({ i: i++, t: Date.now() })}\n\n`);
        if (i === 5) { clearInterval(t); res.end('data: [DONE]\n\n'); }
      }, 100);
      res.on('close', () => { if (i < 5) { seen.sseClosedEarly++; clearInterval(t); } });
    } else if (req.url?.startsWith('/upload')) {
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => { seen.uploadBytes = n; res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ bytes: n })); });
    } else if (req.url?.startsWith('/hang')) {
      // never answers
    } else if (req.url?.startsWith('/garbage')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"nope"}');
    }
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));

const proxyPlugin = () => defineSparkPlugin({
  manifest: { id: 'px', name: 'proxy test', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    const up = () => ({ service: 'fakeup', hostId: 'spark-9', baseUrl: upstreamUrl });
    ctx.publicRoutes('/pxv1').add({ method: 'GET', path: '/*rest', errorStyle: 'openai' }, (c) => ctx.http.proxy(c, up(), { path: '/' + c.params.rest, timeoutMs: 500 }));
    ctx.publicRoutes('/pxv1').add({ method: 'POST', path: '/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, up(), { path: '/' + c.params.rest, timeoutMs: 2000 }));
    ctx.routes.add({ method: 'GET', path: '/json' }, () => ctx.http.fetchJson(up(), '/garbage', z.object({ a: z.number() }), { timeoutMs: 500 }));
    ctx.routes.add({ method: 'GET', path: '/down' }, () => ctx.http.fetchJson({ service: 'ghost', hostId: 'spark-7', baseUrl: 'http://127.0.0.1:9' }, '/', z.unknown(), { timeoutMs: 500 }));
  },
});

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ simulate: false, plugins: [proxyPlugin()] }); });
afterAll(async () => { await k?.stop(); });

describe('HTTP proxy', () => {
  it('passes SSE chunks through one by one as the upstream sends them (no buffering)', async () => {
    const res = await fetch(`${k.url}/pxv1/lockstep`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    const seenIds: number[] = [];
    // Each read must see chunk i before the upstream writes chunk i+1; a proxy that held chunks back would stall
    // here until its upstream timeout instead.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
      for (const m of text.matchAll(/^data: \{"i":(\d+)\}/gm)) if (!seenIds.includes(+m[1])) { seenIds.push(+m[1]); lockstep.release(); }
    }
    expect(text).toContain('[DONE]');
    expect(seenIds).toEqual([0, 1, 2, 3, 4]);
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const before = seen.sseClosedEarly;
    const ac = new AbortController();
    const res = await fetch(`${k.url}/pxv1/sse`, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const end = Date.now() + 2000;
    while (seen.sseClosedEarly === before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(seen.sseClosedEarly).toBe(before + 1);
  });

  it('streams uploads through and never forwards our credentials', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const res = await fetch(`${k.url}/pxv1/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', cookie: 'spark_session=abc', authorization: 'Bearer secret-token-123456' } });
    expect(await res.json()).toEqual({ bytes: body.length });
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('maps a hanging upstream to 504 naming service and host, in the OpenAI envelope on OpenAI routes', async () => {
    const t0 = Date.now();
    const res = await fetch(`${k.url}/pxv1/hang`);
    expect(res.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(3000);
    const body = await res.json();
    expect(body.error.message).toContain('fakeup on spark-9');
    expect(body.error.code).toBe('SPK_UPSTREAM_TIMEOUT');
  });

  it('maps a refused connection to 503 and a garbage answer to 502, as problem+json', async () => {
    const down = await fetch(`${k.url}/api/plugins/px/down`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect((await down.json()).detail).toContain('ghost on spark-7');
    const garbage = await fetch(`${k.url}/api/plugins/px/json`);
    expect(garbage.status).toBe(502);
    expect((await garbage.json()).code).toBe('SPK_UPSTREAM_GARBAGE');
  });
});
