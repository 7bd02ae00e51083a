import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const sink = () => defineSparkPlugin({
  manifest: { id: 'sink', name: 'sink', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    ctx.routes.add({ method: 'POST', path: '/json', body: z.object({ v: z.string() }) }, (c) => ({ got: c.body.v.length }));
    ctx.routes.add({ method: 'POST', path: '/raw', bodyMode: 'raw' }, async (c) => {
      let n = 0;
      for await (const chunk of c.req) n += (chunk as Buffer).length;
      return { got: n };
    });
  },
});

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

/** Sends the head and the first bytes of a body, then `trickle` more bytes every `everyMs`; resolves with what the
 *  server answered (and when) or 'open' if the socket is still open after `waitMs`. */
function slowBody(port: number, path: string, o: { first: string; length: number; everyMs?: number; waitMs: number }): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    let answer = '';
    let trickle: NodeJS.Timeout | undefined;
    const done = (a: string) => { clearInterval(trickle); clearTimeout(giveUp); s.destroy(); resolve({ answer: a, ms: performance.now() - t0 }); };
    const giveUp = setTimeout(() => done(answer || 'open'), o.waitMs);
    s.on('data', (d) => { answer += d.toString(); });
    s.on('close', () => done(answer || 'closed'));
    s.on('error', () => {});
    s.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${o.length}\r\n\r\n${o.first}`);
    if (o.everyMs) trickle = setInterval(() => s.write(' '), o.everyMs);
  });
}

describe('request body timeouts', () => {
  it('a body that stops arriving is answered 408 after the idle timeout, on JSON and raw routes', async () => {
    k = await createTestKernel({ simulate: false, plugins: [sink()], bodyIdleTimeoutMs: 400 });
    for (const path of ['/api/plugins/sink/json', '/api/plugins/sink/raw', '/api/login']) {
      const r = await slowBody(k.port, path, { first: '{"v":"', length: 1000, waitMs: 5_000 });
      expect(r.answer, path).toMatch(/^HTTP\/1\.1 408/);
      expect(r.answer, path).toContain('SPK_BODY_TIMEOUT');
      expect(r.ms, path).toBeLessThan(3_000);
    }
    // The server still serves.
    expect((await k.fetch('/health')).status).toBe(200);
  });

  it('a body trickling a byte at a time is cut at the whole-body deadline', async () => {
    k = await createTestKernel({ simulate: false, plugins: [sink()], bodyIdleTimeoutMs: 400, bodyTotalTimeoutMs: 1_200 });
    const r = await slowBody(k.port, '/api/plugins/sink/raw', { first: '{"v":"', length: 100_000, everyMs: 100, waitMs: 6_000 });
    expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(r.ms).toBeGreaterThan(1_000);
    expect(r.ms).toBeLessThan(4_000);
  });

  it('a body that arrives in time is served normally', async () => {
    k = await createTestKernel({ simulate: false, plugins: [sink()], bodyIdleTimeoutMs: 400 });
    const r = await k.fetch('/api/plugins/sink/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 'x'.repeat(5000) }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ got: 5000 });
  });
});
