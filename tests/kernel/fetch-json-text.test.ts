import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpService } from '../../core/src/services/http/HttpService.js';

/** ctx.http.fetchJsonText: fetchJson's checks and errors, with the answer's text beside the checked value. */
const answers: Record<string, [number, string]> = {
  '/ok': [200, '{ "a" : [1.50, 2], "b": "x" }'],
  '/garbage': [200, 'not json'],
  '/shape': [200, '{"a":"nope"}'],
  '/down': [503, '{"detail":"loading"}'],
};
const server = createServer((req, res) => {
  if (req.url === '/hang') return;
  if (req.url?.startsWith('/echo')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ a: [], url: req.url })); return; }
  const [status, body] = answers[req.url ?? ''] ?? [404, '{}'];
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
});
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
const http = new HttpService(silent as never);
let up: { service: string; hostId: string; baseUrl: string };
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  up = { service: 'probe', hostId: 'spark-9', baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
});
afterAll(async () => { server.closeAllConnections(); server.close(); await http.close(); });
const schema = z.object({ a: z.array(z.number()) });

describe('fetchJsonText', () => {
  it('gives the checked value and the text exactly as the upstream sent it', async () => {
    const r = await http.fetchJsonText(up, '/ok', schema);
    expect(r).toEqual({ value: { a: [1.5, 2] }, text: answers['/ok'][1] });
    expect(await http.fetchJson(up, '/ok', schema)).toEqual({ a: [1.5, 2] });
  });

  it('fails as fetchJson does: not JSON, the wrong shape, a non-2xx status, no answer in time', async () => {
    const failure = (path: string, timeoutMs?: number) => http.fetchJsonText(up, path, schema, { timeoutMs }).then(() => undefined, (e) => ({ code: e.code, status: e.status, message: e.message }));
    expect(await failure('/garbage')).toEqual({ code: 'SPK_UPSTREAM_GARBAGE', status: 502, message: 'probe on spark-9 sent a response that is not JSON' });
    expect(await failure('/shape')).toEqual({ code: 'SPK_UPSTREAM_SCHEMA', status: 502, message: 'probe on spark-9 sent an unexpected response (a)' });
    expect(await failure('/down')).toEqual({ code: 'SPK_UPSTREAM_STATUS', status: 503, message: 'probe on spark-9 answered 503' });
    expect(await failure('/hang', 300)).toMatchObject({ code: 'SPK_UPSTREAM_TIMEOUT', status: 504 });
  });

  it('sends the path it is given, resolved against the base, with the query options added (and never cached with them)', async () => {
    const url = async (path: string, query?: Record<string, string | number | boolean | undefined>) => ((await http.fetchJson(up, path, z.object({ url: z.string() }), { query })) as { url: string }).url;
    expect(await url('/echo/x')).toBe('/echo/x');
    expect(await url('/echo/x', { limit: 5, q: 'a b&c', skip: undefined, ok: true })).toBe('/echo/x?limit=5&q=a+b%26c&ok=true');
    expect(await url('/echo/x')).toBe('/echo/x'); // the query above was not kept for the bare path
    expect(await url('/echo/y?v=1', { w: 2 })).toBe('/echo/y?v=1&w=2');
    expect(await url('/echo/y?v=1', { v: 3 })).toBe('/echo/y?v=3');
  });
});
