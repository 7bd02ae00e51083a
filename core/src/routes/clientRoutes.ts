import { z } from 'zod';
import type { PluginRouterImpl } from '../http/PluginRouter.js';
import type { Clients } from '../services/clients/Clients.js';
import { CLIENT_SCOPES } from '../services/clients/scopes.js';
import { utcDay } from '../services/clients/UsageMeter.js';
import * as rs from './responseSchemas.js';

const DAY = 24 * 3600_000;
const name = z.string().trim().min(1, 'required').max(64).regex(/^[^\u0000-\u001f]+$/, 'no control characters');
const limit = (max: number) => z.number().int().min(1).max(max);
const limits = z.strictObject({
  concurrent: limit(10_000).optional(),
  perMinute: limit(1_000_000).optional(),
  tokensPerDay: limit(1_000_000_000_000).optional(),
});
const allow = z.record(
  z.string().regex(/^[a-z][A-Za-z0-9_]{0,31}$/, 'a list name: a lowercase letter, then letters, digits or _'),
  z.array(z.string().min(1).max(256)).max(256),
).refine((r) => Object.keys(r).length <= 16, 'at most 16 lists');
const fields = {
  name,
  scopes: z.array(z.enum(CLIENT_SCOPES)).min(1, 'at least one scope').max(3),
  priority: z.number().int().min(-100).max(100).optional(),
  limits: limits.optional(),
  allow: allow.optional(),
  /** ISO time; null = never. */
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
};
const createBody = z.strictObject(fields);
const patchBody = z.strictObject({ ...fields, name: name.optional(), scopes: fields.scopes.optional() });
const idParams = z.object({ id: z.string().regex(/^c_[0-9a-f]{12}$/, 'not a client id') });
const dayField = z.iso.date('a UTC day, YYYY-MM-DD');
const usageQuery = z.strictObject({
  from: dayField.optional(),
  to: dayField.optional(),
  client: z.string().min(1).max(80).optional(),
  plugin: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'a plugin id').optional(),
});

const expiry = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : Date.parse(v));

/** Clients and their keys (admin only), and usage by day. */
export function clientRoutes(r: PluginRouterImpl, clients: Clients, keyRevoked: (clientId: string) => void): void {
  const reg = clients.registry;
  r.add({ method: 'GET', path: '/api/clients', scope: 'admin', summary: 'Every client: scopes, limits, allow lists, key prefix, created/last used/expiry/revoked (never a key)', response: rs.clientsResponse }, () => ({ clients: reg.list() }));
  r.add({ method: 'POST', path: '/api/clients', body: createBody, summary: 'Create a client with an API key: the key is in this answer only (stored hashed); send it as Authorization: Bearer', response: rs.createdClientResponse }, (c) => {
    const b = c.body;
    const made = reg.create({ ...b, expiresAt: expiry(b.expiresAt) });
    c.status(201);
    return made;
  });
  r.add({ method: 'GET', path: '/api/clients/:id', params: idParams, scope: 'admin', summary: 'One client', response: rs.clientView }, (c) => reg.require(c.params.id));
  r.add({ method: 'PATCH', path: '/api/clients/:id', params: idParams, body: patchBody, summary: 'Change a client (limits and allow lists are replaced whole)', response: rs.clientView }, (c) =>
    reg.update(c.params.id, { ...c.body, expiresAt: expiry(c.body.expiresAt) }));
  r.add({ method: 'DELETE', path: '/api/clients/:id', params: idParams, summary: 'Revoke a client\'s key at once (it stays listed with its usage); its open streams are closed', response: rs.clientView }, (c) => {
    const v = reg.revoke(c.params.id);
    keyRevoked(c.params.id);
    return v;
  });
  r.add({ method: 'GET', path: '/api/usage', query: usageQuery, summary: 'Usage rows by UTC day, client, plugin, subject and counter (default: the last 30 days), with client names', response: rs.usageResponse }, (c) => {
    const to = c.query.to ?? utcDay(Date.now());
    const from = c.query.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * DAY);
    const rows = clients.usage.query({ from, to, client: c.query.client, plugin: c.query.plugin });
    const names: Record<string, string> = {};
    for (const row of rows) names[row.client] ??= reg.nameOf(row.client) ?? row.client.replace(/^anon:/, '');
    return { from, to, rows, names };
  });
}
