import { z } from 'zod';

export const redactionConfigSchema = z.object({
  mapTtlHours: z.number().min(0.001).max(24 * 90).default(24).describe('How long a map lives after its last use.'),
  maxBodyBytes: z.number().int().min(1024).max(50 * 1024 * 1024).default(8 * 1024 * 1024).describe('Largest request body (bytes); above it the request is refused with 413 before it is read.'),
  nerModel: z.string().max(100).default('').describe('Served model name used for the optional LLM NER step through the vLLM proxy.'),
  nerTimeoutMs: z.number().int().min(1000).max(120_000).default(20_000).describe('How long the optional LLM NER step may take before the request fails closed (ner_unavailable).'),
});
export type RedactionConfig = z.output<typeof redactionConfigSchema>;
