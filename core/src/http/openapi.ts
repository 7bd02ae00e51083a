import { z } from 'zod';
import type { RegisteredRoute } from './PluginRouter.js';

function schemaOf(s: z.ZodType | undefined, io: 'input' | 'output'): unknown {
  if (!s) return undefined;
  try {
    return z.toJSONSchema(s, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

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
        '200': r.spec.response ? { description: 'OK', content: { 'application/json': { schema: schemaOf(r.spec.response, 'output') } } } : { description: 'OK' },
        '4XX': { description: 'Problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    };
    if (r.spec.passthrough) op['x-passthrough'] = true;
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
    components: {
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
