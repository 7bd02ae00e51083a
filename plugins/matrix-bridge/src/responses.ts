import { z } from 'zod';

// The 200 answers of the matrix-bridge routes, for the API document only (coordinator.ts and routes.ts build these
// shapes). tests/kernel/response-schemas*.test.ts parse the live answers with them.

/** BotStatus (state.ts): the container state from `docker inspect`. */
const botStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('running'), startedAt: z.string().optional(), health: z.enum(['healthy', 'unhealthy', 'starting']).optional() }),
  z.object({ state: z.literal('restarting'), restartCount: z.number().int().optional() }),
  z.object({ state: z.literal('exited'), exitCode: z.number().int(), finishedAt: z.string().optional() }),
  z.object({ state: z.enum(['created', 'paused', 'dead']) }),
  z.object({ state: z.literal('missing').describe('No such container') }),
  z.object({ state: z.literal('unknown'), error: z.string().describe('Why the state could not be read') }),
]);

export const statusResponse = z.object({
  enabled: z.boolean().describe('false until a bot user is configured'), hostId: z.string(), container: z.string(),
  status: botStatus, text: z.string().describe('The status in words'), checkedAt: z.string().optional().describe('Last docker inspect (ISO 8601)'),
  busy: z.object({ kind: z.string(), jobId: z.string().optional() }).nullable().describe('The action or update running now'),
});

export const actionResponse = z.object({ before: z.string(), after: z.string().describe('Read right after the action'), status: botStatus });

