import { z } from 'zod';
import { validationError } from '@spark-control/plugin-api';
import { modelSchema, type ModelEntry } from './catalog.js';

/** Moving the user's own catalog entries between installs (a second Spark Control, a reinstall, a backup by hand).
 *  Only user entries travel: built-ins ship with every install. */
export const CATALOG_FORMAT = 'spark-control/vllm-models';

export interface CatalogDocument {
  format: typeof CATALOG_FORMAT;
  version: 1;
  exportedAt: string;
  models: ModelEntry[];
}

export function exportCatalog(userEntries: ModelEntry[], now = new Date()): CatalogDocument {
  return { format: CATALOG_FORMAT, version: 1, exportedAt: now.toISOString(), models: userEntries };
}

/** An exported document sent back, or a bare `{ models }`. Entries are checked one by one below, so a bad one is
 *  named by its index and field instead of failing the whole body with a generic message. */
export const importBody = z.object({
  format: z.literal(CATALOG_FORMAT, { message: `must be "${CATALOG_FORMAT}" (a file exported by Spark Control)` }).optional(),
  version: z.literal(1, { message: 'only version 1 files can be imported' }).optional(),
  exportedAt: z.string().max(64).optional(),
  models: z.array(z.unknown()).max(500, 'at most 500 models per import'),
  /** merge: add new ids, replace same ids, keep the rest. replace: the user catalog becomes exactly this list. */
  mode: z.enum(['merge', 'replace']).default('merge'),
  /** Only report what would change; nothing is written. */
  dryRun: z.boolean().default(false),
});
export type ImportRequest = z.output<typeof importBody>;

export interface ImportPlan {
  entries: ModelEntry[];
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

/** Validates every incoming entry (all-or-nothing: one bad entry refuses the import, naming `models.<i>.<field>`) and
 *  works out the user catalog that results. */
export function planImport(current: ModelEntry[], incoming: unknown[], mode: ImportRequest['mode']): ImportPlan {
  const fields: Array<{ field: string; message: string }> = [];
  const parsed: ModelEntry[] = [];
  const seen = new Map<string, number>();
  incoming.forEach((raw, i) => {
    const r = modelSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) fields.push({ field: ['models', i, ...issue.path].join('.'), message: issue.message });
      return;
    }
    const first = seen.get(r.data.id);
    if (first !== undefined) fields.push({ field: `models.${i}.id`, message: `${r.data.id} appears twice (also models.${first})` });
    else seen.set(r.data.id, i);
    parsed.push(r.data);
  });
  if (fields.length) throw validationError(fields.slice(0, 50));

  const before = new Map(current.map((m) => [m.id, m]));
  const plan: ImportPlan = { entries: [], added: [], updated: [], removed: [], unchanged: [] };
  for (const m of parsed) {
    const old = before.get(m.id);
    if (!old) plan.added.push(m.id);
    else if (JSON.stringify(old) === JSON.stringify(m)) plan.unchanged.push(m.id);
    else plan.updated.push(m.id);
  }
  const incomingIds = new Set(parsed.map((m) => m.id));
  const kept = mode === 'merge' ? current.filter((m) => !incomingIds.has(m.id)) : [];
  if (mode === 'replace') plan.removed = current.filter((m) => !incomingIds.has(m.id)).map((m) => m.id);
  plan.entries = [...kept, ...parsed];
  return plan;
}
