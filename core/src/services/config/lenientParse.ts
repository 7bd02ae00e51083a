import type { z } from 'zod';
import type { Logger } from '../../api/types.js';

/** Parse stored data so that one bad value never stops start-up: invalid top-level keys are dropped (their
 *  defaults apply) with a warning naming the field, never the value. */
export function parseLenient<S extends z.ZodType>(schema: S, raw: unknown, log: Logger, where: string): z.output<S> {
  let candidate: unknown = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as object) } : {};
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = schema.safeParse(candidate);
    if (r.success) return r.data;
    const bad = new Set(r.error.issues.map((i) => String(i.path[0] ?? '')));
    for (const i of r.error.issues) log.warn('skipping invalid stored config value', { where, field: i.path.join('.'), problem: i.message });
    if (bad.has('')) break;
    const next = { ...(candidate as Record<string, unknown>) };
    for (const k of bad) delete next[k];
    candidate = next;
  }
  return schema.parse({});
}
