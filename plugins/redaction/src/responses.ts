import { z } from 'zod';

/** What /scrub and /rehydrate answer with 200, for the API document only (the handlers build these shapes). */
export const scrubResponse = z.object({
  task_id: z.string().nullable(),
  map_handle: z.string().describe('Pass to /rehydrate (and to a later /scrub to reuse the same placeholders)'),
  items: z.array(z.object({ id: z.string(), scrubbed_text: z.string(), tokens_used: z.array(z.string()) })),
  stats: z.object({ tier1_dropped: z.number().int(), tier2_tokenized: z.number().int(), distinct_entities: z.number().int(), descriptive_flags: z.array(z.unknown()) }),
  expires_at: z.string().describe('When the map is deleted unless used again (ISO 8601)'),
});

export const rehydrateResponse = z.object({
  task_id: z.string().nullable(),
  items: z.array(z.object({ id: z.string(), text: z.string(), replaced: z.number().int(), unknown_placeholders: z.array(z.string()) })),
});

export const statsResponse = z.object({ maps: z.number().int(), itemsScrubbed: z.number().int(), lastErrors: z.array(z.object({ at: z.string(), code: z.string() })) });
