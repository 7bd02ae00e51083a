import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, type ProxyBodyTap } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** ProxyOptions.tapBody: a plugin sees every chunk of the answer before the client does, may rewrite it, and hears
 *  once how the answer ended. */
let upstream: Server;
let upstreamUrl = '';
const seen: Array<{ status: number; type: string | undefined; chunks: string[]; ended: boolean[] }> = [];

const tapPlugin = () => defineSparkPlugin({
  manifest: { id: 'tap', name: 'tap', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    const u = { service: 'up', baseUrl: upstreamUrl };
    const r = ctx.publicRoutes('/t');
    const record = (status: number, type: string | undefined) => {
      const s = { status, type, chunks: [] as string[], ended: [] as boolean[] };
      seen.push(s);
      return s;
    };
    // Observes only: the client gets the upstream's bytes and Content-Length unchanged.
    r.add({ method: 'GET', path: '/observe/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, u, { path: '/' + c.params.rest, tapBody: (status, type) => {
      const s = record(status, type);
      return { data: (b) => { s.chunks.push(b.toString()); return undefined; }, end: (complete) => { s.ended.push(complete); return undefined; } };
    } }));
    // Rewrites: drops every line with "secret", upper-cases the rest, and adds a last line.
    r.add({ method: 'GET', path: '/rewrite/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, u, { path: '/' + c.params.rest, tapBody: (status, type): ProxyBodyTap => {
      const s = record(status, type);
      return {
        rewrites: true,
        data: (b) => { s.chunks.push(b.toString()); return Buffer.from(b.toString().split('\n').filter((l) => !l.includes('secret')).join('\n').toUpperCase()); },
        end: (complete) => { s.ended.push(complete); return Buffer.from('\nEND'); },
      };
    } }));
    // Declines: no tap for this answer.
    r.add({ method: 'GET', path: '/decline/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, u, { path: '/' + c.params.rest, tapBody: () => undefined }));
    r.add({ method: 'GET', path: '/throws/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, u, { path: '/' + c.params.rest, tapBody: () => ({ data: () => { throw new Error('tap bug'); } }) }));
  },
});

let k: TestKernel;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/fixed') { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '22' }); res.end('one\nsecret two\nthree\n'.padEnd(22, '.')); return; }
    if (req.url === '/chunks') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('a\n');
      setTimeout(() => { res.write('secret\n'); setTimeout(() => res.end('b\n'), 20); }, 20);
      return;
    }
    if (req.url === '/forever') { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write('first\n'); return; }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"none"}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  k = await createTestKernel({ simulate: false, plugins: [tapPlugin()] });
});
afterAll(async () => { await k?.stop(); upstream?.closeAllConnections(); upstream?.close(); });

describe('proxy body tap', () => {
  it('an observing tap sees every chunk and a complete end; the client gets the bytes and Content-Length as sent', async () => {
    seen.length = 0;
    const r = await k.fetch('/t/observe/fixed');
    expect(r.headers.get('content-length')).toBe('22');
    expect(await r.text()).toBe('one\nsecret two\nthree\n.');
    expect(seen).toEqual([{ status: 200, type: 'text/plain', chunks: ['one\nsecret two\nthree\n.'], ended: [true] }]);
    // Error answers are offered too, with their status.
    const nf = await k.fetch('/t/observe/none');
    expect(nf.status).toBe(404);
    expect(await nf.text()).toBe('{"error":"none"}');
    expect(seen[1]).toMatchObject({ status: 404, type: 'application/json', ended: [true] });
  });

  it('a rewriting tap changes what the client gets, chunk by chunk, and its last bytes go out at the end (chunked, no stale Content-Length)', async () => {
    seen.length = 0;
    const fixed = await k.fetch('/t/rewrite/fixed');
    expect(fixed.headers.get('content-length')).toBeNull();
    expect(await fixed.text()).toBe('ONE\nTHREE\n.\nEND');
    const r = await k.fetch('/t/rewrite/chunks');
    expect(await r.text()).toBe('A\nB\n\nEND');
    expect(seen[1].chunks).toEqual(['a\n', 'secret\n', 'b\n']);
    expect(seen[1].ended).toEqual([true]);
  });

  it('declining leaves the answer alone; a tap that throws is dropped and the answer still arrives whole', async () => {
    expect(await (await k.fetch('/t/decline/fixed')).text()).toBe('one\nsecret two\nthree\n.');
    expect(await (await k.fetch('/t/throws/fixed')).text()).toBe('one\nsecret two\nthree\n.');
  });

  it('a client that leaves mid-answer ends the tap once, not complete', async () => {
    seen.length = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${k.url}/t/observe/forever`, (res) => { res.once('data', () => { req.destroy(); resolve(); }); });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      req.end();
    });
    for (let i = 0; i < 100 && !seen[0]?.ended.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen[0].chunks).toEqual(['first\n']);
    expect(seen[0].ended).toEqual([false]);
  });
});
