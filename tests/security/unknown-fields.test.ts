import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { fillPath } from '../helpers/openapiPaths.js';

/** No silently ignored input, over every route the running kernel declares (its OpenAPI document, all built-in
 *  plugins on the simulated cluster): a JSON object body or a query with one field the route does not know is a 400
 *  naming that field, unless the route is marked `x-passthrough` (a published protocol passes extra fields on). */
const root = fileURLToPath(new URL('../..', import.meta.url));
const BUILTINS = readdirSync(join(root, 'plugins')).filter((d) => existsSync(join(root, 'plugins', d, 'index.ts')));
const SKIP = /^\/api\/plugins\/\{id\}\/(restart|enable|disable)$/;
const UNKNOWN = 'zz_not_a_field';

interface JsonSchema { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; enum?: unknown[]; const?: unknown;
  minimum?: number; minLength?: number; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; default?: unknown; format?: string }
interface Op { parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; 'x-passthrough'?: boolean }

/** A plausible value for a JSON schema (required fields only), so the unknown field is the request's only fault
 *  more often than not; the assertion does not depend on it (unknown fields are named next to other errors). */
function sample(s: JsonSchema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return sample(alt[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k], depth + 1)]));
    case 'array': return (s as { minItems?: number }).minItems ? [sample(s.items, depth + 1)] : [];
    case 'integer': case 'number': return Math.max(1, s.minimum ?? 1);
    case 'boolean': return false;
    default: return s.format === 'uri' ? 'http://127.0.0.1:9/' : 'x'.repeat(Math.max(1, s.minLength ?? 1));
  }
}

let k: TestKernel;
const bodies: Array<{ method: string; template: string; path: string; body: Record<string, unknown> }> = [];
const queries: Array<{ method: string; template: string; path: string; query: URLSearchParams }> = [];
const passthrough: string[] = [];

beforeAll(async () => {
  k = await createTestKernel({ plugins: BUILTINS, logLevel: 'warn', config: { plugins: { cluster: { pollIntervalMs: 60_000 } } } });
  const doc = await (await k.fetch('/api/openapi.json')).json() as { paths: Record<string, Record<string, Op>> };
  for (const [template, ops] of Object.entries(doc.paths)) {
    if (SKIP.test(template)) continue;
    for (const [m, op] of Object.entries(ops)) {
      const path = fillPath(template, { plugin: 'vllm', state: 'up', rest: 'models', collection: 'docs' });
      if (op['x-passthrough']) { passthrough.push(`${m.toUpperCase()} ${template}`); continue; }
      const schema = op.requestBody?.content?.['application/json']?.schema;
      // A schema of `{}` (z.unknown(), parsed by the handler itself) is sent an empty object.
      const value = schema ? (Object.keys(schema).filter((k) => k !== '$schema').length ? sample(schema) : {}) : undefined;
      if (value && typeof value === 'object' && !Array.isArray(value)) bodies.push({ method: m.toUpperCase(), template, path, body: value as Record<string, unknown> });
      const q = (op.parameters ?? []).filter((p) => p.in === 'query');
      if (q.length) {
        const query = new URLSearchParams();
        for (const p of q) if (p.required) query.set(p.name, String(sample(p.schema)));
        queries.push({ method: m.toUpperCase(), template, path, query });
      }
    }
  }
}, 60_000);
afterAll(async () => { await k?.stop(); });

async function fieldsOf(res: Response): Promise<string[]> {
  const text = await res.text();
  try {
    const j = JSON.parse(text) as { errors?: Array<{ field: string }>; error?: { message?: string } };
    // OpenAI's envelope has one param; every field is named in its message ("invalid body: a, b").
    const named = /^invalid \w+: (.*)$/.exec(j.error?.message ?? '')?.[1]?.split(', ') ?? [];
    return [...(j.errors ?? []).map((e) => e.field), ...named];
  } catch { return []; }
}

describe('an unknown field on a route this project defines is refused by name', () => {
  it('JSON object bodies', async () => {
    expect(bodies.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const r of bodies) {
      const res = await k.fetch(r.path, { method: r.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...r.body, [UNKNOWN]: 1 }), signal: AbortSignal.timeout(10_000) });
      const fields = await fieldsOf(res);
      if (res.status !== 400 || !fields.includes(UNKNOWN)) bad.push(`${r.method} ${r.template}: ${res.status} ${JSON.stringify(fields)}`);
    }
    console.log(`[unknown-fields] ${bodies.length} JSON bodies, ${bad.length} not refused by name; passthrough: ${passthrough.join(', ')}`);
    expect(bad).toEqual([]);
  }, 120_000);

  it('query strings of routes that declare a query', async () => {
    expect(queries.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const r of queries) {
      const q = new URLSearchParams(r.query);
      q.set(UNKNOWN, '1');
      const res = await k.fetch(`${r.path}?${q}`, { method: r.method, headers: r.method === 'GET' ? {} : { 'content-type': 'application/json' }, body: r.method === 'GET' ? undefined : '{}', signal: AbortSignal.timeout(10_000) });
      const fields = await fieldsOf(res);
      if (res.status !== 400 || !fields.includes(`query.${UNKNOWN}`)) bad.push(`${r.method} ${r.template}: ${res.status} ${JSON.stringify(fields)}`);
    }
    expect(bad).toEqual([]);
  }, 120_000);

  it('a near name is suggested: snake_case for camelCase, and within two edits', async () => {
    const res = await k.fetch('/api/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collection: 'docs', query: 'q', prefetchLimit: 5, limt: 3, zz_nothing_near: 1 }) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json() as { code: string; errors: Array<{ field: string; message: string }> };
    expect(body.code).toBe('SPK_VALIDATION');
    expect(body.errors).toEqual([
      { field: 'prefetchLimit', message: 'unknown field; did you mean prefetch_limit?' },
      { field: 'limt', message: 'unknown field; did you mean limit?' },
      { field: 'zz_nothing_near', message: 'unknown field' },
    ]);
  });

  it('OpenAI-shaped proxied routes are marked passthrough in the document', () => {
    expect(passthrough).toContain('POST /v1/chat/completions');
    expect(passthrough).toContain('POST /v1/completions');
    // Routes with a schema of their own are not passthrough by default.
    expect(passthrough).not.toContain('POST /api/search');
  });
});
