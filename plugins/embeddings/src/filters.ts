import { z } from 'zod';

/** Search filters: Qdrant's must/should/must_not with an allow-list of operators; keys are checked against the
 *  configured allow-list by `checkFilterKeys`. Anything else is a 400 naming the path. */
const scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
const condition: z.ZodType<unknown> = z.lazy(() => z.union([
  z.object({ key: z.string().max(64), match: z.union([z.object({ value: scalar }).strict(), z.object({ any: z.array(scalar).min(1).max(100) }).strict(), z.object({ except: z.array(scalar).min(1).max(100) }).strict()]) }).strict(),
  z.object({ key: z.string().max(64), range: z.object({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() }).strict() }).strict(),
  z.object({ has_id: z.array(z.union([z.string().uuid(), z.number().int().nonnegative()])).min(1).max(1000) }).strict(),
  filterSchema,
]));
export const filterSchema: z.ZodType<unknown> = z.lazy(() => z.object({
  must: z.array(condition).max(20).optional(),
  should: z.array(condition).max(20).optional(),
  must_not: z.array(condition).max(20).optional(),
}).strict());

export function checkFilterKeys(f: unknown, allowed: string[], path = 'filter'): Array<{ field: string; message: string }> {
  const errs: Array<{ field: string; message: string }> = [];
  if (!f || typeof f !== 'object') return errs;
  for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
    if (k === 'key' && typeof v === 'string' && !allowed.includes(v)) errs.push({ field: `${path}.key`, message: `filtering on "${v.slice(0, 64)}" is not allowed (allowed: ${allowed.join(', ')})` });
    if (Array.isArray(v)) v.forEach((c, i) => errs.push(...checkFilterKeys(c, allowed, `${path}.${k}.${i}`)));
  }
  return errs;
}
