import { z } from 'zod';

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

export const jobSnapshot = z.object({
  id: z.string(), plugin: z.string(), kind: z.string(), title: z.string(), state: z.string(), phase: z.string().optional(),
  phases: z.array(z.string()).optional(), progress: z.number().optional(), startedAt: iso, endedAt: iso.optional(),
  phaseStartedAt: iso.optional(), error: z.object({ code: z.string(), message: z.string(), phase: z.string().optional() }).optional(),
  logTail: z.array(z.string()), result: z.unknown().optional(), meta: z.record(z.string(), z.unknown()).optional(),
});
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
