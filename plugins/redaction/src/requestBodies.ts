import { z } from 'zod';

// The bodies of /scrub and /rehydrate (the predecessor's contract, reference/services.md), validated by the kernel.

const names = z.array(z.string().max(200)).max(500).optional();
const item = z.object({ id: z.string().min(1, 'required').max(200), text: z.string().max(2_000_000) });

export const scrubBody = z.object({
  task_id: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  items: z.array(item).min(1, 'give at least one item').max(1000),
  known_entities: z.object({ persons: names, orgs: names, funds: names, emails: names, locations: names }).partial().optional(),
  tier1_action: z.enum(['drop', 'reject']).default('reject'),
  bucket: z.object({ amounts: z.boolean().optional(), dates: z.boolean().optional() }).optional(),
  ner: z.enum(['auto', 'rules_only', 'qwen']).default('auto'),
  map_handle: z.string().max(100).nullable().optional(),
});

export const rehydrateBody = z.object({
  task_id: z.string().max(200).optional(),
  map_handle: z.string().min(1, 'required').max(100),
  items: z.array(item).min(1, 'give at least one item').max(1000),
});
