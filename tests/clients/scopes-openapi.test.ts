import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { fillPath } from '../helpers/openapiPaths.js';

/**
 * Scopes on every route, from the live OpenAPI document: each operation says the least scope a key needs
 * (`x-scope`), and a key of each scope is sent to each operation. A key whose scopes do not cover the route must get
 * 403 SPK_CLIENT_SCOPE (in the route's own envelope); one whose scopes do must get anything else. Bodies are invalid
 * JSON and path values name nothing that exists, so a request the gate lets through stops at validation or a 404 and
 * changes nothing.
 */
let k: TestKernel;
const keys: Record<string, string> = {};
type Op = { path: string; method: string; scope?: string; open: boolean };
let ops: Op[] = [];

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', 'vllm', 'speech', 'embeddings', 'redaction', 'matrix-bridge'] });
  for (const scope of ['inference', 'read', 'admin']) {
    const r = await k.fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `key-${scope}`, scopes: [scope] }) });
    keys[scope] = ((await r.json()) as { key: string }).key;
  }
  const doc = await (await k.fetch('/api/openapi.json')).json() as { paths: Record<string, Record<string, { 'x-scope'?: string; security?: unknown[] }>> };
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.push({ path, method: method.toUpperCase(), scope: op['x-scope'], open: Array.isArray(op.security) && op.security.length === 0 });
  }
}, 60_000);
afterAll(async () => { await k?.stop(); });

const allowed = (held: string, needed: string, method: string) =>
  held === 'admin' || (needed === 'inference' && held === 'inference') || (needed !== 'admin' && method === 'GET' && held === 'read');

async function codeOf(r: Response): Promise<string | undefined> {
  // An event stream that opened was let in; it is not read (it would stay open).
  if (r.headers.get('content-type')?.includes('text/event-stream')) { await r.body?.cancel(); return 'stream'; }
  const text = await r.text();
  try {
    const j = JSON.parse(text) as { code?: string; error?: { code?: string } };
    return j.code ?? j.error?.code;
  } catch { return undefined; }
}

describe('scopes on every route of the live OpenAPI document', () => {
  it('every operation states the scope it needs, or is open', () => {
    expect(ops.length).toBeGreaterThan(80);
    for (const op of ops) expect(op.open || ['admin', 'inference', 'read'].includes(op.scope ?? ''), `${op.method} ${op.path}`).toBe(true);
  });

  it('the service routes programs call need only inference; managing clients needs admin', () => {
    const scopeOf = (m: string, p: string) => ops.find((o) => o.method === m && o.path === p)?.scope;
    for (const o of ops.filter((o) => o.path.startsWith('/v1/'))) expect(o.scope, `${o.method} ${o.path}`).toBe('inference');
    for (const p of ['/scrub', '/rehydrate', '/api/search', '/api/audio/transcribe-with-speakers']) expect(scopeOf('POST', p), p).toBe('inference');
    for (const m of ['GET', 'POST']) expect(scopeOf(m, '/api/clients')).toBe('admin');
    expect(scopeOf('PUT', '/api/config/auth')).toBe('admin');
  });

  it('a key of each scope gets 403 exactly where its scope does not reach', async () => {
    const wrong: string[] = [];
    const tally: Record<string, number> = {};
    for (const op of ops.filter((o) => !o.open)) {
      const path = fillPath(op.path, { plugin: 'no-such-plugin', state: 'bogus', rest: 'no-such-path', collection: 'no_such_collection', model: 'no-such-model' });
      for (const [held, key] of Object.entries(keys)) {
        const init: RequestInit = { method: op.method, headers: { authorization: `Bearer ${key}`, ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) } };
        if (op.method !== 'GET' && op.method !== 'DELETE') init.body = '{';
        const ac = AbortSignal.timeout(10_000);
        const r = await k.fetch(path, { ...init, signal: ac });
        const code = await codeOf(r);
        const refused = r.status === 403 && code === 'SPK_CLIENT_SCOPE';
        const should = !allowed(held, op.scope!, op.method);
        tally[`${held} ${refused ? 'refused' : 'passed'}`] = (tally[`${held} ${refused ? 'refused' : 'passed'}`] ?? 0) + 1;
        if (refused !== should) wrong.push(`${held} key → ${op.method} ${path} (needs ${op.scope}): ${r.status} ${code ?? ''}`);
      }
    }
    console.log(`[scopes] ${ops.length} operations × 3 keys: ${JSON.stringify(tally)}`);
    expect(wrong).toEqual([]);
  }, 240_000);
});
