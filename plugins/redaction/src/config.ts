import { z } from 'zod';

export const redactionConfigSchema = z.object({
  /** How long a map lives after its last use. */
  mapTtlHours: z.number().min(0.001).max(24 * 90).default(24),
  /** Largest request body (bytes); above it the request is refused with 413 before it is read. */
  maxBodyBytes: z.number().int().min(1024).max(50 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Served model name used for the optional LLM NER step through the vLLM proxy. */
  nerModel: z.string().max(100).default(''),
  nerTimeoutMs: z.number().int().min(1000).max(120_000).default(20_000),
});
export type RedactionConfig = z.output<typeof redactionConfigSchema>;
