/**
 * GET /residency: what the dashboard's memory bar draws, per Spark — its budget, what the services that declare
 * memory keep, and every model holding a slot on it with what it holds (awake or asleep) and where that figure comes
 * from; and the slots themselves.
 */
import { z } from 'zod';
import type { CatalogEntry } from '../catalog.js';
import type { OnDemandScheduler } from '../onDemand/scheduler.js';
import type { Residency } from './residency.js';

const iso = z.string().describe('ISO 8601 time');

export const residencyResponse = z.object({
  shared: z.boolean().describe('Models share the Sparks (maxResident > 1)'),
  maxResident: z.number().int(),
  sparks: z.array(z.object({
    hostId: z.string(), memTotalBytes: z.number(), budgetBytes: z.number().describe('What served models and declared services may hold'),
    reservations: z.array(z.object({ service: z.string(), plugin: z.string(), bytes: z.number() })),
    models: z.array(z.object({
      slot: z.number().int(), modelId: z.string(), servedName: z.string(), container: z.string(), asleep: z.boolean(), pinned: z.boolean(),
      bytes: z.number().describe('What it holds now (its sleeping footprint while asleep)'), awakeBytes: z.number(), sleepingBytes: z.number(),
      source: z.enum(['launch', 'args', 'memoryGB', 'measured', 'estimate', 'whole-spark']).describe('Where the figure comes from: the --gpu-memory-utilization it was launched with, its own argument, its memoryGB, its measured peak, the fit estimate, or vLLM\'s default share'), lastUsedAt: iso.nullable(),
    })),
    freeBytes: z.number().describe('Budget left after the services and the models'),
  })),
  slots: z.array(z.object({ slot: z.number().int(), container: z.string(), modelId: z.string().nullable(), busy: z.boolean() })),
});

export async function residencyStatus(r: Residency, scheduler: OnDemandScheduler, catalog: CatalogEntry[]): Promise<z.infer<typeof residencyResponse>> {
  const hostIds = [...new Set([r.primary.upstream().hostId!, ...r.slots.flatMap((s) => s.active?.nodes ?? [])])];
  const residents = await r.residents();
  const sparks = [];
  for (const hostId of hostIds) {
    const b = await r.budgetBytes(hostId);
    const reservations = r.reservations(hostId);
    const here = residents.filter((x) => x.hosts.includes(hostId));
    const models = await Promise.all(here.map(async (x) => {
      const model = catalog.find((m) => m.id === x.modelId);
      const slot = r.slot(x.slot)!;
      const source = (await r.heldBy(slot, model, hostId)).source;
      const used = scheduler.lastUseOf(x.modelId);
      return { slot: x.slot, modelId: x.modelId, servedName: slot.active?.servedName ?? x.modelId, container: slot.container, asleep: x.asleep, pinned: x.pinned, bytes: x.asleep ? x.sleepingBytes : x.awakeBytes, awakeBytes: x.awakeBytes, sleepingBytes: x.sleepingBytes, source, lastUsedAt: used ? new Date(used).toISOString() : null };
    }));
    const held = models.reduce((n, m) => n + m.bytes, 0);
    sparks.push({ hostId, memTotalBytes: b.memTotal, budgetBytes: b.total, reservations, models, freeBytes: b.total - b.reserved - held });
  }
  return { shared: r.shared, maxResident: r.slots.length, sparks, slots: r.slots.map((s) => ({ slot: s.slot, container: s.container, modelId: s.active?.modelId ?? null, busy: s.running })) };
}
