/**
 * The one schema of config.json (data dir). Shared by the kernel's loader, `PUT /api/config/*`, and the StartOS
 * package's "Configure Sparks" action, so nothing one accepts can be refused by the other.
 * Plugin slices (`plugins.<id>`) are validated by each plugin's own configSchema.
 */
import { z } from 'zod';
import { SAFE_HOST, SAFE_USER } from '../api/shell.js';
import { HOST_ID, SERVICE_NAME } from '../api/ids.js';

export const CONFIG_VERSION = 1;

export const hostIdSchema = z.string().regex(HOST_ID, 'lower-case letters, digits and dashes, starting with a letter');

/** Blank optional fields mean "use the default" (the UI sends '' for an empty box). */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const portSchema = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : blankToUndefined(v)),
  z.number().int('must be a whole number').min(1, 'must be 1–65535').max(65535, 'must be 1–65535'),
);

export const hostSchema = z.object({
  id: hostIdSchema,
  name: z.string().trim().min(1, 'required').max(64),
  address: z.string().trim().min(1, 'required').max(253).regex(SAFE_HOST, 'must be a host name or IP address'),
  sshUser: z.preprocess(blankToUndefined, z.string().regex(SAFE_USER, 'must be a Unix user name (a-z, 0-9, _ and -)').default('spark')),
  sshPort: z.preprocess(blankToUndefined, portSchema.default(22)),
  /** The Spark's address on the direct link between the Sparks (the QSFP cable), for launches across Sparks. */
  linkAddress: z.preprocess(blankToUndefined, z.string().trim().max(253).regex(SAFE_HOST, 'must be a host name or IP address').optional())
    .describe('Address on the direct link between the Sparks (QSFP), used by launches that span both Sparks; blank = Address'),
});
export type HostConfig = z.output<typeof hostSchema>;

export const serviceTargetSchema = z.object({
  hostId: hostIdSchema,
  port: z.preprocess(blankToUndefined, portSchema.optional()),
  /** What the service keeps of its host's memory, in GB, over what its plugin declares (`manifest.services.<name>.memoryGB`). */
  memoryGB: z.preprocess(
    (v) => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : blankToUndefined(v)),
    z.number('must be a number of GB').min(0, 'must be 0–10000 GB').max(10_000, 'must be 0–10000 GB').optional(),
  )
    .describe('Memory the service keeps on its host, in GB; blank = what its plugin declares'),
});

const hostsSchema = z.array(hostSchema).max(32).default([]);
const servicesSchema = z.record(z.string().regex(SERVICE_NAME), serviceTargetSchema).default({});

/** Cross-field rules, applied wherever a topology is validated (API, loader, StartOS action). */
function checkTopology(c: { hosts: Array<{ id: string }>; services: Record<string, { hostId: string }> }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  c.hosts.forEach((h, i) => {
    if (seen.has(h.id)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'id'], message: `duplicate host id ${h.id}` });
    seen.add(h.id);
  });
  for (const [name, t] of Object.entries(c.services)) {
    if (c.hosts.length > 0 && !seen.has(t.hostId)) ctx.addIssue({ code: 'custom', path: ['services', name, 'hostId'], message: `unknown host ${t.hostId}` });
  }
}

export const clusterSchema = z.object({ hosts: hostsSchema, services: servicesSchema }).superRefine(checkTopology);
export type ClusterConfig = z.output<typeof clusterSchema>;

export const authSchema = z.object({
  /** Bearer token for API clients; blank = auth off (trusted LAN). */
  token: z.preprocess(blankToUndefined, z.string().min(16, 'at least 16 characters').max(256).optional()).meta({ secret: true }),
});

export const pluginsSectionSchema = z
  .object({
    disabled: z.array(z.string()).default([]),
  })
  .catchall(z.unknown());

export const configFileSchema = z.object({
  version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
  auth: authSchema.default({}),
  hosts: hostsSchema,
  services: servicesSchema,
  plugins: pluginsSectionSchema.default({ disabled: [] }),
}).superRefine(checkTopology);
export type ConfigFile = z.output<typeof configFileSchema>;
