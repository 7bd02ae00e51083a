import { z } from 'zod';

// The 200 answers of the cluster routes, for the API document only (the handlers build these shapes; HostSnapshot in
// poller.ts). tests/kernel/response-schemas*.test.ts parse the live answers with them.

const gpu = z.object({
  name: z.string(), utilizationPct: z.number().nullable(), temperatureC: z.number().nullable(), powerW: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(), memoryTotalMiB: z.number().nullable(),
});

/** One poll's result (POST …/poll, trust-host-key, sim). Fields past `since` are absent while the host is unreachable. */
export const hostSnapshot = z.object({
  hostId: z.string(), name: z.string(), address: z.string(), reachable: z.boolean(),
  since: z.string().describe('When `reachable` last changed (ISO 8601)'),
  polledAt: z.string().optional(), error: z.string().optional().describe('Why the last poll failed'),
  gpu: z.array(gpu).optional(),
  memory: z.object({ usedMiB: z.number(), totalMiB: z.number(), source: z.enum(['nvml', 'meminfo']).describe('meminfo when NVML reports N/A (GB10 unified memory)') }).optional(),
  cpu: z.object({ load1: z.number(), load5: z.number(), load15: z.number(), cores: z.number().nullable() }).optional(),
  disk: z.object({ sizeKiB: z.number(), usedKiB: z.number(), availKiB: z.number(), mount: z.string(), cacheKiB: z.number().optional().describe('Size of the Hugging Face cache') }).optional(),
  uptimeSeconds: z.number().nullable().optional(),
  containers: z.array(z.object({ id: z.string(), name: z.string(), image: z.string(), state: z.string(), status: z.string() })).optional(),
  dockerError: z.string().optional(),
  vpn: z.array(z.object({ ifname: z.string(), address: z.string() })).optional().describe('WireGuard interfaces and their IPv4 addresses'),
  latencyMs: z.number().optional(),
});

const hostKey = z.object({
  hostId: z.string(), fingerprint: z.string(), pinnedAt: z.string(),
  mismatch: z.object({ fingerprint: z.string(), seenAt: z.string() }).optional().describe('A different key was offered: trust-host-key accepts it'),
});

/** A host never polled yet has only its identity and `pending: true`. */
const hostView = hostSnapshot.partial({ since: true }).extend({
  pending: z.literal(true).optional().describe('Not polled yet'),
  sshUser: z.string(), sshPort: z.number().int(), linkAddress: z.string().optional(),
  hostKey: hostKey.nullable().describe('The pinned SSH host key, null before the first connection'),
});
export const hostsResponse = z.object({ hosts: z.array(hostView), simulated: z.boolean() });

export const sshKeyResponse = z.object({
  publicKey: z.string().describe('OpenSSH public key of this service'),
  manualCommand: z.string().describe('One line to paste on a Spark to authorize the key without giving a password here'),
});

export const installKeyResponse = z.object({ hostId: z.string(), added: z.boolean().describe('false when the key was already installed'), message: z.string() });

const status = z.enum(['up', 'degraded', 'down']);
export const connectivityResponse = z.object({
  transitions: z.array(z.object({
    plugin: z.string(), name: z.string(), hostId: z.string().optional(), service: z.string().optional(),
    from: z.union([status, z.literal('unknown')]), to: status, at: z.string(),
    durationMs: z.number().optional().describe('How long the previous state lasted'), detail: z.string().optional(),
  })),
});
