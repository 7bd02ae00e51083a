import { z } from 'zod';
import { jobSnapshotSchema } from '../api/schemas.js';

// The 200 answers of the kernel's own routes, for the API document. tests/kernel/response-schemas.test.ts checks that
// what each GET route answers parses with what it documents, so the document cannot drift from the code.

const iso = z.string();
const simulator = z.object({ state: z.string() }).loose().optional();

export const infoResponse = z.object({
  name: z.string(), version: z.string(), apiVersion: z.string(), simulated: z.boolean(), simulator, authEnabled: z.boolean(),
});

export const healthResponse = z.object({
  status: z.enum(['up', 'degraded', 'down']), version: z.string(), simulated: z.boolean(), simulator,
  plugins: z.record(z.string(), z.string()), failedPlugins: z.array(z.string()), loop: z.object({}).loose(),
});

const check = z.object({ plugin: z.string(), name: z.string(), status: z.string(), since: iso, checkedAt: iso }).loose();
export const checksResponse = z.object({ status: z.enum(['up', 'degraded', 'down']), checks: z.array(check) });

export const jobSnapshot = jobSnapshotSchema;
export const jobsResponse = z.array(jobSnapshot);

export const okResponse = z.object({ ok: z.literal(true) });
export const loginResponse = z.object({ ok: z.literal(true), authEnabled: z.boolean() });
export const authResponse = z.object({ tokenSet: z.boolean() });

const scope = z.enum(['admin', 'inference', 'read']);
export const clientView = z.object({
  id: z.string(), name: z.string(), keyPrefix: z.string(), scopes: z.array(scope), priority: z.number().int(),
  limits: z.object({ concurrent: z.number().int().optional(), perMinute: z.number().int().optional(), tokensPerDay: z.number().int().optional() }),
  allow: z.record(z.string(), z.array(z.string())), createdAt: iso, expiresAt: iso.nullable(), revokedAt: iso.nullable(), lastUsedAt: iso.nullable(), active: z.boolean(),
});
export const clientsResponse = z.object({ clients: z.array(clientView) });
export const createdClientResponse = z.object({ client: clientView, key: z.string().describe('shown in this answer only') });
export const usageResponse = z.object({
  from: z.string(), to: z.string(),
  rows: z.array(z.object({ day: z.string(), client: z.string(), plugin: z.string(), subject: z.string(), counter: z.string(), value: z.number() })),
  names: z.record(z.string(), z.string()),
});

export const seriesListResponse = z.object({
  series: z.array(z.object({ key: z.string(), plugin: z.string(), name: z.string(), labels: z.record(z.string(), z.string()), unit: z.string(), help: z.string() })),
});

export const connectivityResponse = z.object({
  transitions: z.array(z.object({
    plugin: z.string(), name: z.string(), hostId: z.string().optional(), service: z.string().optional(), from: z.string(), to: z.string(), at: iso,
    durationMs: z.number().optional(), detail: z.string().optional(),
  })),
});

/** A plugin as the kernel describes it (state, source, versions, why it is not running). */
export const pluginStatus = z.object({
  id: z.string(), name: z.string().optional(), version: z.string().optional(), apiVersion: z.string().optional(), description: z.string().optional(),
  source: z.string(), state: z.string(), reason: z.string().optional(), error: z.object({ code: z.string(), message: z.string(), where: z.string().optional() }).optional(),
  nextRetryAt: iso.optional(), dependsOn: z.array(z.string()), crashes: z.number().int().optional(),
  loopStalls: z.object({ count: z.number().int(), maxMs: z.number(), last: z.object({ at: iso, ms: z.number(), plugin: z.string().optional(), where: z.string().optional(), attribution: z.string().optional() }) }).optional(),
});
export const pluginsResponse = z.array(pluginStatus.extend({ health: z.array(check) }));
export const pluginHealthResponse = z.object({ plugin: z.string(), state: z.string(), status: z.enum(['up', 'degraded', 'down']), checks: z.array(check) });

export const tilesResponse = z.array(z.object({
  plugin: z.string(), tag: z.string(), moduleUrl: z.string(), title: z.string(), cols: z.number().int(), order: z.number(), state: z.string(),
}));

export const pagesResponse = z.object({
  pages: z.array(z.object({ plugin: z.string(), kind: z.string(), label: z.string().describe('the series label whose values name the pages'), title: z.string(), others: z.string() })),
  sections: z.array(z.object({ plugin: z.string(), kind: z.string(), tag: z.string(), moduleUrl: z.string(), order: z.number() })),
});

const hostSchema = z.object({ id: z.string() }).loose().describe('a Spark as configured (see PUT /api/config/cluster)');
export const configResponse = z.object({
  hosts: z.array(hostSchema), services: z.record(z.string(), z.unknown()), auth: z.object({ tokenSet: z.boolean() }),
  plugins: z.record(z.string(), z.record(z.string(), z.unknown()).describe('the plugin\'s settings, secrets masked')),
  disabled: z.array(z.string()), simulated: z.boolean(),
});
export const configSchemaResponse = z.object({
  cluster: z.record(z.string(), z.unknown()).describe('JSON Schema of the cluster settings'),
  plugins: z.record(z.string(), z.unknown()).describe('JSON Schema of each plugin\'s settings'),
});
export const pluginConfigResponse = z.record(z.string(), z.unknown()).describe('the plugin\'s settings as stored, secrets masked');
export const clusterConfigResponse = z.object({ hosts: z.array(hostSchema), services: z.record(z.string(), z.unknown()) });
export const openApiResponse = z.object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }).loose();

const point = z.object({ t: z.number(), v: z.number(), min: z.number().optional(), max: z.number().optional() });
export const historyRangeResponse = z.object({
  series: z.string(), from: z.number(), to: z.number(),
  sets: z.array(z.object({ key: z.string(), labels: z.record(z.string(), z.string()), unit: z.string(), points: z.array(point) })),
});
export const marksResponse = z.object({ from: z.number(), to: z.number(), marks: z.array(z.object({ t: z.number(), plugin: z.string(), kind: z.string(), text: z.string() })) });
