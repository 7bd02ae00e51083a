import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import type { SparkEvent } from '../../core/src/api/types.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { fillPath as fillOpenApiPath } from '../helpers/openapiPaths.js';

/** The bearer token and the secrets, swept over every route the running kernel declares (its OpenAPI document, all
 *  built-in plugins plus one with a secret config field), so a new route is covered without touching this file:
 *  - with the token on, every route and method except `/health` and the login endpoint answers 401 without it;
 *  - with the token, every GET route is read (streams for a moment), config is written with a new secret and the
 *    plugin restarted: the token, the secret values and the SSH private key appear in no response body, no log line
 *    (debug level) and no event. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const BUILTINS = readdirSync(join(root, 'plugins')).filter((d) => existsSync(join(root, 'plugins', d, 'index.ts')));
const TOKEN = 'sweep-token-9f8e7d6c5b4a39281706';
const SECRET = 'sk-sweep-secret-value-4242-abcdef';
const SECRET2 = 'sk-sweep-rotated-value-1717-fedcba';
/** Reachable without the token by design (security.ts OPEN): liveness and the login endpoint. */
const OPEN = new Set(['GET /health', 'POST /api/login']);

const vault = () => defineSparkPlugin({
  manifest: { id: 'vault', name: 'vault', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({ apiKey: z.string().default('').meta({ secret: true }), level: z.number().int().default(1) }),
  register(ctx) {
    ctx.routes.add({ method: 'GET', path: '/whoami', summary: 'uses the secret, must not echo it' }, () => ({ keyLength: ctx.config.get().apiKey.length }));
    ctx.lifecycle.onStart(() => { ctx.log.info('vault started', { level: ctx.config.get().level }); });
  },
});

const fillPath = (template: string) => fillOpenApiPath(template, { plugin: 'vault', state: 'up', rest: 'models', collection: 'docs' });

let k: TestKernel;
const lines: string[] = [];
const events: SparkEvent[] = [];
let routes: Array<{ method: string; template: string; path: string }> = [];

beforeAll(async () => {
  k = await createTestKernel({
    plugins: [...BUILTINS, vault()], logLevel: 'debug', logSink: (l) => lines.push(l),
    config: { auth: { token: TOKEN }, plugins: { vault: { apiKey: SECRET }, cluster: { pollIntervalMs: 60_000 } } },
  });
  k.app.services.events.on('', (e) => events.push(e));
  const doc = await (await k.fetch('/api/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { paths: Record<string, Record<string, unknown>> };
  for (const [template, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) routes.push({ method: m.toUpperCase(), template, path: fillPath(template) });
  routes = routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}, 60_000);
afterAll(async () => { await k?.stop(); });

describe('bearer token and secrets over every declared route', () => {
  it('without the token, every route but /health and the login endpoint answers 401', async () => {
    expect(routes.length).toBeGreaterThan(70);
    const answered: string[] = [];
    for (const r of routes) {
      const res = await k.fetch(r.path, { method: r.method, headers: r.method === 'GET' ? {} : { 'content-type': 'application/json' }, body: r.method === 'GET' ? undefined : '{}', signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      const key = `${r.method} ${r.template}`;
      if (OPEN.has(key)) { expect(res.status, key).not.toBe(401); continue; }
      if (res.status !== 401) answered.push(`${key} → ${res.status}`);
    }
    // The static dashboard and tile modules are behind the token too.
    for (const p of ['/', '/app.js', '/plugins/vllm/ui/tile.js', '/vendor/lit.js']) {
      const res = await k.fetch(p, { redirect: 'manual' });
      await res.body?.cancel();
      if (![401, 302].includes(res.status)) answered.push(`GET ${p} → ${res.status}`);
    }
    expect(answered).toEqual([]);
    console.log(`[auth-sweep] ${routes.length} declared routes (all methods) + 4 static paths: ${routes.length - OPEN.size + 4} answered 401 without the token, only ${[...OPEN].join(' and ')} open`);
  });

  it('the token, the secrets and the SSH private key appear in no response, log line or event', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const bodies: string[] = [];
    const read = async (path: string, init: RequestInit = {}) => {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 1500); // SSE and log-follow streams: keep what arrives in 1.5 s
      let text = '';
      try {
        const res = await k.fetch(path, { ...init, headers: { ...auth, ...(init.headers ?? {}) }, signal: ac.signal });
        text = `${[...res.headers].map(([a, b]) => `${a}: ${b}`).join('\n')}\n`;
        const reader = res.body!.getReader();
        for (;;) { const { done, value } = await reader.read(); if (done) break; text += Buffer.from(value).toString('utf8'); }
      } catch { /* the 1.5 s cut of a stream */ } finally { clearTimeout(t); bodies.push(text); }
    };
    for (const r of routes.filter((x) => x.method === 'GET')) await read(r.path);
    await read('/api/plugins/vault/whoami');
    // Rotate the secret, send the masked value back, restart the plugin, log in and out: all the paths that handle it.
    await read('/api/config/plugins/vault', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: SECRET2, level: 2 }) });
    await read('/api/config/plugins/vault', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: '********', level: 3 }) });
    await read('/api/plugins/vault/restart', { method: 'POST' });
    await read('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    await read('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN.replace('9', '8') }) });
    await read('/api/logout', { method: 'POST' });
    for (const r of routes.filter((x) => x.method === 'GET' && x.path.startsWith('/api/config'))) await read(r.path);
    // The secret really is in use and stored (so its absence elsewhere means something).
    expect(JSON.parse(readFileSync(join(k.dataDir, 'config.json'), 'utf8')).plugins.vault.apiKey).toBe(SECRET2);
    expect(bodies.join('\n')).toContain(`"keyLength":${SECRET.length}`);
    const privateKey = readFileSync(join(k.dataDir, 'ssh', 'id_ed25519'), 'utf8');
    const keyBody = privateKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const needles: Array<[string, string]> = [['token', TOKEN], ['secret', SECRET], ['rotated secret', SECRET2], ['private key (first line)', privateKey.split('\n')[1]], ['private key (middle)', keyBody.slice(40, 100)]];
    const haystacks: Array<[string, string]> = [['responses', bodies.join('\n')], ['logs', lines.join('\n')], ['events', JSON.stringify(events)]];
    const leaks: string[] = [];
    for (const [hn, h] of haystacks) for (const [nn, n] of needles) if (h.includes(n)) leaks.push(`${nn} in ${hn}`);
    expect(leaks).toEqual([]);
    expect(lines.length).toBeGreaterThan(50); // the logs really were captured at debug level
    console.log(`[secrets-sweep] ${bodies.length} responses, ${lines.length} log lines, ${events.length} events searched for ${needles.length} secrets: 0 found`);
  }, 60_000);
});
