import { z } from 'zod';
import type { RegisteredRoute } from './PluginRouter.js';
import { routeScopeOf } from '../services/clients/scopes.js';

function schemaOf(s: z.ZodType | undefined, io: 'input' | 'output'): unknown {
  if (!s) return undefined;
  try {
    return z.toJSONSchema(s, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

const DESCRIPTIONS = { 200: 'OK', 201: 'Created', 202: 'Accepted: a job was started' } as const;

/** OpenAPI 3.1 document generated from the zod schemas every route declared. */
export function buildOpenApi(routes: RegisteredRoute[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const oaPath = r.fullPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*([A-Za-z0-9_]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      operationId: `${r.plugin}_${r.spec.method.toLowerCase()}_${r.fullPath.replace(/[^A-Za-z0-9]+/g, '_')}`,
      tags: [r.plugin],
      summary: r.spec.summary ?? `${r.spec.method} ${r.fullPath}`,
      responses: {
        [String(r.spec.responseStatus ?? 200)]: r.spec.response
          ? { description: DESCRIPTIONS[r.spec.responseStatus ?? 200], content: { 'application/json': { schema: schemaOf(r.spec.response, 'output') } } }
          : { description: 'OK' },
        '4XX': { description: 'Problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    };
    if (r.spec.passthrough) op['x-passthrough'] = true;
    // The least scope a key needs; an open route (health, login) needs none.
    if (r.spec.unauthenticated) op.security = [];
    else {
      op['x-scope'] = routeScopeOf(r.spec.method, r.spec.scope);
      (op.responses as Record<string, unknown>)['401'] = { description: 'No valid key, token or session (only when a token is set, or a key is unknown, revoked or expired)' };
      (op.responses as Record<string, unknown>)['403'] = { description: `The key's scopes do not include ${op['x-scope'] as string}` };
      (op.responses as Record<string, unknown>)['429'] = { description: 'Over one of the client\'s limits (Retry-After says when to retry)' };
    }
    const params: unknown[] = [];
    for (const m of r.fullPath.matchAll(/[:*]([A-Za-z0-9_]+)/g)) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    const q = schemaOf(r.spec.query, 'input') as { properties?: Record<string, unknown>; required?: string[] } | undefined;
    for (const [name, schema] of Object.entries(q?.properties ?? {})) params.push({ name, in: 'query', required: q?.required?.includes(name) ?? false, schema });
    if (params.length) op.parameters = params;
    if (r.spec.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.spec.body, 'input') } } };
    else if (r.spec.bodyMode === 'raw' && r.spec.method !== 'GET') op.requestBody = { content: { '*/*': {} } };
    (paths[oaPath] ??= {})[r.spec.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Spark Control', version: info.version },
    paths,
    // Keys are optional: with no token configured an unkeyed request is an anonymous client (see docs/clients.md).
    security: [{ bearer: [] }, {}],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A client\'s API key (spk_…, scopes in x-scope of each operation) or the configured admin token' },
        session: { type: 'apiKey', in: 'cookie', name: 'spark_session', description: 'The dashboard\'s login session (admin)' },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, requestId: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
  };
}
