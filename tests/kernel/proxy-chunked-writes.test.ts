/**
 * What HTTP/1.1 needs of the proxy on chunked answers: the bytes arrive exact and validly framed whatever the chunk
 * sizes, a slow client slows the upstream down (nothing piles up in the proxy), and the connection carries the next
 * answer afterwards, kept alive or pipelined.
 */
import { createHash } from 'node:crypto';
import { createServer, request, Agent, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Chunk i of the upstream's answer: sizes from 1 byte to 64 KiB, so reads both split and join chunks. */
const SIZES = Array.from({ length: 400 }, (_, i) => [1, 17, 255, 4096, 65_536, 300][i % 6]);
const chunkOf = (i: number) => Buffer.alloc(SIZES[i], String.fromCharCode(97 + (i % 26)));
const whole = Buffer.concat(SIZES.map((_, i) => chunkOf(i)));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let upstream: Server;
let upstreamUrl = '';
/** /huge: 64 MiB in 64 KiB writes, and how far the upstream got (it writes only as fast as the proxy takes). */
const HUGE = 64 * 1024 * 1024;
const piece = Buffer.alloc(65_536, 'z');
let hugeWritten = 0;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    if (req.url === '/small') { res.end(`small ${req.headers['x-n'] ?? ''}`); return; }
    if (req.url === '/huge') {
      hugeWritten = 0;
      const more = () => {
        while (hugeWritten < HUGE) {
          hugeWritten += piece.length;
          if (!res.write(piece)) { res.once('drain', more); return; }
        }
        res.end();
      };
      more();
      return;
    }
    let i = 0;
    const next = () => {
      while (i < SIZES.length) if (!res.write(chunkOf(i++))) { res.once('drain', next); return; }
      res.end();
    };
    next();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));

let k: TestKernel;
beforeAll(async () => {
  const plugin = defineSparkPlugin({
    manifest: { id: 'cw', name: 'chunked writes', version: '1.0.0', apiVersion: '^2.0.0' },
    configSchema: z.object({}),
    register(ctx) {
      const up = { service: 'fakeup', baseUrl: upstreamUrl };
      ctx.publicRoutes('/cw').add({ method: 'GET', path: '/*rest' }, (c) => ctx.http.proxy(c, up, { path: '/' + c.params.rest }));
    },
  });
  k = await createTestKernel({ simulate: false, plugins: [plugin] });
});
afterAll(async () => { await k?.stop(); });

/** Decodes the HTTP/1.1 answers in `raw`, one after the other (head, then chunks until the last one). */
function decodeAnswers(raw: Buffer): Array<{ status: number; body: Buffer }> {
  const out: Array<{ status: number; body: Buffer }> = [];
  let at = 0;
  while (at < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) throw new Error('incomplete head');
    const head = raw.subarray(at, headEnd).toString('latin1');
    expect(head).toMatch(/\r\ntransfer-encoding: chunked/i);
    at = headEnd + 4;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = raw.indexOf('\r\n', at);
      const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isInteger(size)) throw new Error(`bad chunk size at ${at}`);
      at = lineEnd + 2;
      if (size === 0) { expect(raw.subarray(at, at + 2).toString('latin1')).toBe('\r\n'); at += 2; break; }
      parts.push(raw.subarray(at, at + size));
      at += size;
      expect(raw.subarray(at, at + 2).toString('latin1')).toBe('\r\n');
      at += 2;
    }
    out.push({ status: Number(head.split(' ')[1]), body: Buffer.concat(parts) });
  }
  return out;
}

const END = Buffer.from('\r\n0\r\n\r\n', 'latin1');

/** Sends `text` on one raw connection and collects everything until `answers` complete answers are in. */
function rawExchange(text: string, answers: number, pauseMs = 0, onPaused?: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(k.url);
    const s = connect(Number(port), '127.0.0.1');
    const got: Buffer[] = [];
    let paused = pauseMs > 0;
    let ends = 0;
    let tail = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); const all = Buffer.concat(got); reject(new Error(`no complete answers within 10 s: ${ends} of ${answers} after ${all.length} bytes, heads at ${[...all.toString('latin1').matchAll(/HTTP\/1.1 /g)].map((m) => m.index)}`)); }, 10_000);
    s.on('data', (d: Buffer) => {
      got.push(d);
      if (paused) {
        // Stop reading after the first bytes: the proxy must stop taking from the upstream, not buffer the rest.
        paused = false;
        s.pause();
        setTimeout(() => { onPaused?.(); s.resume(); }, pauseMs);
      }
      // Count last-chunk markers in what arrived, with the previous read's tail (a marker may straddle two reads).
      const seen = Buffer.concat([tail, d]);
      for (let i = seen.indexOf(END); i >= 0; i = seen.indexOf(END, i + 1)) ends++;
      tail = seen.subarray(Math.max(0, seen.length - END.length + 1));
      if (ends >= answers) { clearTimeout(timer); s.destroy(); resolve(Buffer.concat(got)); }
    });
    s.on('error', reject);
    s.write(text);
  });
}

describe('proxy: chunked answers', () => {
  it('arrive byte for byte and validly framed, chunks from 1 byte to 64 KiB', async () => {
    const [a] = decodeAnswers(await rawExchange(`GET /cw/big HTTP/1.1\r\nhost: localhost\r\n\r\n`, 1));
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(whole.length);
    expect(sha(a.body)).toBe(sha(whole));
  });

  it('a client that stops reading stops the upstream: the proxy does not take the answer in on its behalf', async () => {
    let writtenWhilePaused = 0;
    const [a] = decodeAnswers(await rawExchange(`GET /cw/huge HTTP/1.1\r\nhost: localhost\r\n\r\n`, 1, 800, () => (writtenWhilePaused = hugeWritten)));
    expect(a.body.length).toBe(HUGE);
    // Loopback moves 64 MiB in well under 800 ms; with the client paused only the sockets' buffers (a few MB each
    // way) may fill. A proxy that kept writing without waiting for the socket's drain would have taken it all.
    expect(writtenWhilePaused).toBeLessThan(HUGE / 2);
  });

  it('leave the connection ready for the next answer: kept alive with Node\'s client, and pipelined', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) => new Promise<{ body: Buffer; socket: unknown }>((resolve, reject) => {
      request(`${k.url}${path}`, { agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ body: Buffer.concat(parts), socket: res.socket }));
      }).on('error', reject).end();
    });
    const first = await get('/cw/big');
    const second = await get('/cw/big');
    const third = await get('/cw/small');
    agent.destroy();
    expect(sha(first.body)).toBe(sha(whole));
    expect(sha(second.body)).toBe(sha(whole));
    expect(third.body.toString()).toBe('small ');
    expect(second.socket).toBe(first.socket);

    // Three requests in one write: Node answers them in order on the one socket, each framed on its own.
    const raw = await rawExchange(
      `GET /cw/big HTTP/1.1\r\nhost: localhost\r\n\r\nGET /cw/small HTTP/1.1\r\nhost: localhost\r\nx-n: 2\r\n\r\nGET /cw/big HTTP/1.1\r\nhost: localhost\r\n\r\n`, 3);
    const answers = decodeAnswers(raw);
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(sha(answers[0].body)).toBe(sha(whole));
    expect(answers[1].body.toString()).toBe('small 2');
    expect(sha(answers[2].body)).toBe(sha(whole));
  });
});
