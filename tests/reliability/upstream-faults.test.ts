import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Upstreams that fail in the middle of an answer, behind the kernel's streaming proxy: an SSE stream whose socket
 *  dies after a few events, a chunked body cut short, a body shorter than its Content-Length, a stream that stalls
 *  after the headers, and a "server" that answers with bytes that are not HTTP. Pass: the client gets what was sent
 *  and then a terminated stream or an error status — never a hang past the configured timeout — and the kernel's
 *  log names the service and the host.
 *  A mid-stream death is logged by HttpService.proxy (from the upstream body's 'error' listener) with service, host,
 *  plugin and path. */
let upstream: Server;
let junk: NetServer;
let upstreamUrl = '';
let junkUrl = '';
const sockets = new Set<Socket>();
const BODY_TIMEOUT_MS = 1000;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const die = () => res.socket?.destroy();
    if (req.url === '/sse-die') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const t = setInterval(() => {
        res.write(`data: ${JSON.stringify({ i: i++ })}\n\n`);
        if (i === 3) { clearInterval(t); setTimeout(die, 50); }
      }, 50);
    } else if (req.url === '/chunked-die') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
      res.write(Buffer.alloc(64 * 1024, 1));
      setTimeout(() => { res.write(Buffer.alloc(64 * 1024, 2)); setTimeout(die, 50); }, 50);
    } else if (req.url === '/short-length') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      res.write('{"data": "' + 'x'.repeat(1000));
      setTimeout(die, 50);
    } else if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"first":true}\n\n'); // then nothing, ever
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  upstream.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  // Speaks, but not HTTP (a wrong service on the port, or a half-dead one).
  junk = createNetServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.once('data', () => { s.write('\x00\x01garbage that is not HTTP\r\n\r\n\xff\xfe'); setTimeout(() => s.destroy(), 50); }); s.on('error', () => {}); });
  await new Promise<void>((r) => junk.listen(0, '127.0.0.1', () => r()));
  junkUrl = `http://127.0.0.1:${(junk.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => upstream.close(() => r()));
  await new Promise<void>((r) => junk.close(() => r()));
});

const faultyPlugin = () => defineSparkPlugin({
  manifest: { id: 'faulty', name: 'faulty upstreams', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    ctx.publicRoutes('/fv1').add({ method: 'GET', path: '/junk', errorStyle: 'openai' }, (c) =>
      ctx.http.proxy(c, { service: 'junkup', hostId: 'spark-8', baseUrl: junkUrl }, { path: '/', timeoutMs: 1000 }));
    ctx.publicRoutes('/fv1').add({ method: 'GET', path: '/*rest', errorStyle: 'openai' }, (c) =>
      ctx.http.proxy(c, { service: 'fakeup', hostId: 'spark-9', baseUrl: upstreamUrl }, { path: '/' + c.params.rest, timeoutMs: 1000, bodyTimeoutMs: BODY_TIMEOUT_MS }));
  },
});

let k: TestKernel;
const lines: string[] = [];
beforeAll(async () => { k = await createTestKernel({ simulate: false, plugins: [faultyPlugin()], logLevel: 'debug', logSink: (l) => lines.push(l) }); });
afterAll(async () => { await k?.stop(); });

/** Reads the whole body; resolves with what arrived and how it ended. Bounded: a hang becomes 'hung'. */
async function readAll(path: string, boundMs: number) {
  const t0 = Date.now();
  const ac = new AbortController();
  const bound = setTimeout(() => ac.abort(new Error('hung')), boundMs);
  let bytes = 0;
  let text = '';
  let ending = 'complete';
  let status = 0;
  try {
    const r = await fetch(`${k.url}${path}`, { signal: ac.signal });
    status = r.status;
    const reader = r.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (text.length < 2000) text += Buffer.from(value).toString('latin1');
    }
  } catch (e) {
    ending = ac.signal.aborted ? 'hung' : `terminated (${(e as Error).message}${(e as { cause?: Error }).cause ? `: ${(e as { cause: Error }).cause.message}` : ''})`;
  } finally {
    clearTimeout(bound);
  }
  return { status, bytes, text, ending, ms: Date.now() - t0 };
}

const logged = (re: RegExp, since: number) => lines.slice(since).filter((l) => re.test(l));
async function waitLogged(re: RegExp, since: number, ms = 2000) {
  const end = Date.now() + ms;
  while (!logged(re, since).length && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return logged(re, since);
}

describe('upstream faults mid-answer', () => {
  const figures: string[] = [];

  for (const [path, what, minBytes] of [
    ['/fv1/sse-die', 'an SSE stream whose upstream dies after 3 events', 30],
    ['/fv1/chunked-die', 'a chunked body cut after 128 KiB', 128 * 1024],
    ['/fv1/short-length', 'a body shorter than its Content-Length', 1000],
  ] as const) {
    it(`${what}: the client gets what was sent, then a terminated stream (no hang)`, async () => {
      const r = await readAll(path, 5000);
      expect(r.status).toBe(200);
      expect(r.ending).not.toBe('hung');
      expect(r.ending).toMatch(/^terminated/); // not a clean end: the client must be able to tell the answer is incomplete
      expect(r.bytes).toBeGreaterThanOrEqual(minBytes);
      if (path === '/fv1/sse-die') expect(r.text).toContain('data: {"i":2}');
      expect(r.ms).toBeLessThan(3000);
      figures.push(`${path}: ${r.bytes} B then ${r.ending.split(' (')[0]} after ${r.ms} ms`);
    });
  }

  it('a stream that stalls after the headers ends after the body timeout, not never', async () => {
    const r = await readAll('/fv1/stall', 10_000);
    expect(r.ending).not.toBe('hung');
    expect(r.text).toContain('"first":true');
    expect(r.ms).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 100);
    expect(r.ms).toBeLessThan(BODY_TIMEOUT_MS + 4000);
    figures.push(`/fv1/stall: ${r.ending.split(' (')[0]} after ${r.ms} ms (body timeout ${BODY_TIMEOUT_MS} ms)`);
  });

  it('an upstream that answers with bytes that are not HTTP gives 502 naming service and host', async () => {
    const t0 = Date.now();
    const r = await fetch(`${k.url}/fv1/junk`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(502);
    const body = await r.json();
    expect(body.error.message).toContain('junkup on spark-8');
    expect(Date.now() - t0).toBeLessThan(3000);
    figures.push(`/fv1/junk: ${r.status} ${body.error.code} in ${Date.now() - t0} ms`);
    console.log(`[upstream-faults] ${figures.join(' | ')}`);
  });

  it('logs each mid-answer death with service and host', async () => {
    for (const path of ['/fv1/sse-die', '/fv1/chunked-die', '/fv1/short-length', '/fv1/stall']) {
      const since = lines.length;
      await readAll(path, 5000);
      const l = (await waitLogged(/fakeup/, since)).join('\n');
      expect(l, `${path}: a log line naming the service`).toMatch(/fakeup/);
      expect(l, `${path}: and the host`).toMatch(/spark-9/);
    }
  });
});
