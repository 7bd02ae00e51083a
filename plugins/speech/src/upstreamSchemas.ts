import { z } from 'zod';

export const asrAnswer = z.object({ text: z.string().optional(), language: z.string().optional(), duration: z.number(), words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).default([]) });
export const diarAnswer = z.object({ duration: z.number(), speakers_detected: z.number().optional(), segments: z.array(z.object({ start_s: z.number(), end_s: z.number(), speaker: z.string() })), fingerprints: z.record(z.string(), z.array(z.number())).optional(), models: z.record(z.string(), z.string()).optional() });
export type AsrAnswer = z.output<typeof asrAnswer>;
export type DiarAnswer = z.output<typeof diarAnswer>;
