import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Upstream that records every path it was asked for and echoes the size of a body. */
let upstream: Server;
let upstreamUrl = '';
const paths: string[] = [];
const LIMIT = 64 * 1024;

const proxyPlugin = () => defineSparkPlugin({
  manifest: { id: 'pxy', name: 'pxy', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    const u = { service: 'echo', baseUrl: upstreamUrl };
    ctx.publicRoutes('/v1').add({ method: 'GET', path: '/*rest', bodyMode: 'raw', errorStyle: 'openai' }, (c) => ctx.http.proxy(c, u, { timeoutMs: 5_000 }));
    ctx.publicRoutes('/v1').add({ method: 'POST', path: '/*rest', bodyMode: 'raw', errorStyle: 'openai', maxBodyBytes: LIMIT }, (c) => ctx.http.proxy(c, u, { timeoutMs: 5_000 }));
  },
});

let k: TestKernel;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    paths.push(req.url ?? '');
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ path: req.url, bytes: n })); });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  k = await createTestKernel({ simulate: false, plugins: [proxyPlugin()] });
});
afterAll(async () => { await k?.stop(); upstream?.close(); });

/** A request sent exactly as written (no client-side path normalisation, like `curl --path-as-is`). */
function raw(method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer | string, o: { chunked?: boolean } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: k.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) { req.end(); return; }
    if (o.chunked) { const b = Buffer.from(body); for (let i = 0; i < b.length; i += 16 * 1024) req.write(b.subarray(i, i + 16 * 1024)); req.end(); return; }
    if (headers.expect) req.on('continue', () => req.end(body));
    else req.end(body);
  });
}

describe('proxy path escape', () => {
  for (const path of ['/v1/%2e%2e/metrics', '/v1/.%2e/version', '/v1/%2E%2E/metrics', '/v1/..%2fmetrics', '/v1/..\\metrics', '/v1/a/../../metrics', '/v1/./../health']) {
    it(`${path} is refused with 400 and never reaches the upstream`, async () => {
      const before = paths.length;
      const r = await raw('GET', path);
      expect(r.status, r.text).toBe(400);
      expect(r.text).toMatch(/path/i);
      expect(paths.slice(before).filter((p) => !p.startsWith('/v1/'))).toEqual([]);
      expect(paths.length).toBe(before);
    });
  }

  it('ordinary paths (with encoded characters that are not dot segments) are forwarded as they are', async () => {
    const r = await raw('GET', '/v1/models/org%2Fname.v2');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).path).toBe('/v1/models/org%2Fname.v2');
    const dots = await raw('GET', '/v1/files/a..b');
    expect(dots.status).toBe(200);
  });
});

describe('large bodies through the proxy', () => {
  it('Expect: 100-continue works (the client gets 100 Continue, the upstream the body)', async () => {
    const body = Buffer.alloc(40 * 1024, 'x');
    const r = await raw('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' }, body);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).bytes).toBe(body.length);
  });

  it('a body over the route\'s limit is 413, announced by Content-Length or counted as it streams', async () => {
    const body = Buffer.alloc(LIMIT + 1, 'x');
    const before = paths.length;
    const byLength = await raw('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' }, body);
    expect(byLength.status, byLength.text).toBe(413);
    expect(paths.length).toBe(before);
    const chunked = await raw('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Buffer.alloc(LIMIT * 3, 'x'), { chunked: true });
    expect(chunked.status, chunked.text).toBe(413);
    expect((await raw('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'content-length': LIMIT }, Buffer.alloc(LIMIT, 'x'))).status).toBe(200);
  });
});
