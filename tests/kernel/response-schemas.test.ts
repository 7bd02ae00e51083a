import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { undocumentedField } from '../helpers/undocumentedFields.js';

/**
 * The API document's 200 schemas are the code's: every GET route without path parameters that documents a response
 * schema is called on a kernel with every built-in plugin, and its answer must parse with that schema and carry no field
 * it leaves out (response-schemas-calls.test.ts does the same for routes with parameters and bodies). (The schemas
 * are documentation only at run time; this is what keeps them true.)
 */
let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', 'vllm', 'speech', 'embeddings', 'redaction', 'matrix-bridge'], simPreload: true, config: { plugins: { cluster: { pollIntervalMs: 60_000 } } } });
  // A job and a client exist, so the lists are not empty.
  await k.fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'schema-check', scopes: ['read'] }) });
  await k.fetch('/api/plugins/cluster/hosts/spark-1/poll', { method: 'POST' });
}, 60_000);
afterAll(async () => { await k?.stop(); });

type Route = { plugin: string; fullPath: string; spec: { method: string; response?: z.ZodType } };

describe('documented 200 answers', () => {
  it('every parameterless GET route with a response schema answers what it documents', async () => {
    const app = k.app as unknown as { kernelRouter: { routes: Route[] } };
    const routes: Route[] = [...app.kernelRouter.routes, ...k.kernel.list().flatMap((p) => (p.scope ? [...p.scope.router.routes, ...[...p.scope.publicRouters.values()].flatMap((x) => x.routes)] : []) as Route[])];
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const r of routes) {
      // A route with a required query field is called with one in response-schemas-calls.test.ts.
      const q = (r.spec as { query?: z.ZodType }).query;
      if (r.spec.method !== 'GET' || !r.spec.response || /[:*]/.test(r.fullPath) || (q && !q.safeParse({}).success)) continue;
      const res = await k.fetch(r.fullPath, { signal: AbortSignal.timeout(10_000) });
      if (res.headers.get('content-type')?.includes('text/event-stream')) { await res.body?.cancel(); continue; }
      const body = await res.json().catch(() => undefined);
      if (res.status !== 200 && !(r.fullPath === '/health' && res.status === 503)) { wrong.push(`${r.fullPath}: ${res.status}`); continue; }
      const parsed = r.spec.response.safeParse(body);
      if (!parsed.success) wrong.push(`${r.fullPath}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      else { const extra = undocumentedField(body, parsed.data); if (extra) wrong.push(`${r.fullPath}: the answer has ${extra}, which the schema leaves out`); }
      checked.push(r.fullPath);
    }
    console.log(`[response-schemas] ${checked.length} GET routes checked: ${checked.join(', ')}`);
    expect(checked.length).toBeGreaterThan(8);
    expect(wrong).toEqual([]);
  }, 60_000);
});
