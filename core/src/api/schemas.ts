import { z } from 'zod';
import type { JobSnapshot, JobState } from './types.js';

/** A job's state, as `JobSnapshot.state`. */
export const jobStateSchema: z.ZodType<JobState> = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
/** Why a job failed, as `JobSnapshot.error`. */
export const jobErrorSchema: z.ZodType<NonNullable<JobSnapshot['error']>> = z.object({ code: z.string(), message: z.string(), phase: z.string().optional() });

/** A kernel job as the API shows it (`JobSnapshot`), for routes that answer one (a swap, a download, an update):
 *  `response: jobSnapshotSchema, responseStatus: 202`. */
export const jobSnapshotSchema: z.ZodType<JobSnapshot> = z.object({
  id: z.string(), plugin: z.string(), kind: z.string(), title: z.string(), state: jobStateSchema, phase: z.string().optional(),
  phases: z.array(z.string()).optional(), progress: z.number().optional().describe('0..1'), startedAt: z.string(), endedAt: z.string().optional(),
  phaseStartedAt: z.string().optional(), error: jobErrorSchema.optional(),
  logTail: z.array(z.string()), result: z.unknown().optional(), meta: z.record(z.string(), z.unknown()).optional(),
});
