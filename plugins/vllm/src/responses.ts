import { z } from 'zod';
import { jobErrorSchema, jobSnapshotSchema, jobStateSchema } from '@spark-control/plugin-api';
import { CATALOG_FORMAT } from './catalogTransfer.js';
import { modelSchema } from './catalog.js';

// The 200 answers of the vLLM plugin's own routes (the OpenAI ones are in openaiRoutes.ts), for the API document only:
// the handlers build these shapes. tests/kernel/response-schemas*.test.ts parse the live answers with them.

const iso = z.string();
/** A kernel job (the plugin API's JobSnapshot): a download, swap or benchmark. */
const job = jobSnapshotSchema;
const jobState = jobStateSchema;
const jobError = jobErrorSchema;

/** A catalog entry as stored (defaults applied). */
export const modelEntry = z.object(modelSchema.shape);

const activeModel = z.object({
  modelId: z.string(), servedName: z.string(), since: iso, vllmVersion: z.string().optional(),
  nodes: z.array(z.string()).optional().describe('The Sparks it runs on, head first (only when across Sparks)'),
  asleep: z.object({ since: iso, level: z.union([z.literal(1), z.literal(2)]) }).optional().describe('Put to sleep (vLLM sleep mode): a request wakes it'),
}).nullable().describe('The model being served, null when none');
const lostModel = z.object({ modelId: z.string(), servedName: z.string(), at: iso, container: z.string() }).nullable()
  .describe('A served model whose container went away without a swap (crash, OOM kill, stopped by hand)');

export const catalogResponse = z.object({
  active: activeModel, lost: lostModel,
  models: z.array(modelEntry.extend({
    source: z.enum(['builtin', 'user']), state: z.enum(['loading', 'active', 'failed', 'stopped']),
    kind: z.enum(['local', 'hf']).describe('local: a directory on the Spark (localPath); hf: a Hugging Face repo'),
    lastLoadSeconds: z.number().nullable().describe('Measured launch-to-answering time of its last successful load'),
    download: job.nullable().describe('Its current or last download job'),
  })),
});

export const catalogExport = z.object({ format: z.literal(CATALOG_FORMAT), version: z.literal(1), exportedAt: iso, models: z.array(modelEntry) });

export const importResponse = z.object({
  dryRun: z.boolean().describe('true: nothing was stored'), mode: z.enum(['merge', 'replace']),
  added: z.array(z.string()), updated: z.array(z.string()), removed: z.array(z.string()), unchanged: z.array(z.string()),
});

export const removedResponse = z.object({ removed: z.string() });
export const cacheDeletedResponse = z.object({ deleted: z.string(), freedBytes: z.number() });

const fitEstimate = z.object({
  id: z.string(), onSpark: z.boolean().describe('The model\'s files are on the Spark (figures come from them, not from the catalog)'),
  verdict: z.enum(['fits', 'needs-more-sparks', 'too-large', 'unknown']), summary: z.string().describe('One sentence a user can act on'),
  sparksNeeded: z.number().int().optional(), tensorParallel: z.number().int(),
  weightsBytes: z.number().nullable(), weightsSource: z.enum(['safetensors-index', 'files', 'config', 'catalog']).nullable(),
  kvBytesPerToken: z.number().nullable(), contextTokens: z.number().nullable(),
  needBytesPerNode: z.number().nullable().describe('At the configured tensor-parallel size'), availableBytesPerNode: z.number(),
  gpuMemoryUtilization: z.number(), maxContextThatFits: z.number().nullable().describe('The longest context that fits at the configured tensor-parallel size'),
});
export const fitReport = z.object({ host: z.string(), memTotalBytes: z.number(), models: z.array(fitEstimate) });
export const modelFitResponse = fitEstimate.extend({ host: z.string(), memTotalBytes: z.number() });

export const diskResponse = z.object({
  models: z.array(z.object({ id: z.string(), source: z.enum(['local', 'hf']), path: z.string().optional().describe('localPath or the repo'), sizeBytes: z.number().nullable().describe('null when not on disk') })),
  freeBytes: z.number().nullable(), totalBytes: z.number().nullable(),
});

export const swapStateResponse = z.object({
  running: z.boolean(), active: activeModel, lost: lostModel,
  job: z.object({
    id: z.string(), state: jobState, phase: z.string().optional(), startedAt: iso, endedAt: iso.optional(), error: jobError.optional(),
    logTail: z.array(z.string()), modelId: z.string(),
  }).nullable().describe('The running or last swap'),
  rollbackOnFailure: z.boolean(),
  shared: z.boolean().describe('Models share the Sparks (maxResident > 1): POST loads the model beside the others (a vllm.load job)'),
});
export const swapCancelResponse = job;

export const linkResponse = z.object({
  head: z.object({ hostId: z.string(), keyFile: z.string(), keyCreated: z.boolean() }),
  sparks: z.array(z.object({ hostId: z.string(), address: z.string(), key: z.enum(['added', 'present']).describe('The head\'s key on this Spark: added now, or already there') })),
});

export const metricsResponse = z.object({
  running: z.number().nullable(), waiting: z.number().nullable(), kvCachePct: z.number().nullable(),
  generationTokens: z.number().nullable(), promptTokens: z.number().nullable(),
  tokensPerSecond: z.number().nullable().describe('Generated tokens per second since the previous call (null on the first)'),
});

export const onDemandResponse = z.object({
  loadOnRequest: z.boolean(), minResidencySec: z.number(), loadingModelId: z.string().nullable(),
  models: z.array(z.object({
    id: z.string(), servedName: z.string(), state: z.enum(['serving', 'sleeping', 'loading', 'stopping', 'stopped']),
    loadOnRequest: z.boolean(), sleep: z.boolean(), idleTtlSec: z.number().nullable(),
    idleCountdownSec: z.number().nullable().describe('Seconds until it is unloaded for being idle'),
    lastColdLoadSeconds: z.number().nullable(), lastWakeMs: z.number().nullable(), asleepSince: iso.nullable(),
    slot: z.number().int().nullable().describe('The serving slot holding it (1 unless models share the Sparks)'),
    queued: z.number().int(), loads: z.number().int(), failedLoads: z.number().int(), timeouts: z.number().int(), refused: z.number().int(),
    lastWaitMs: z.number().nullable(), lastUsedAt: iso.nullable(),
  })),
});

const percentiles = z.object({ p50: z.number().nullable(), p99: z.number().nullable() });
const benchmarkRun = z.object({
  id: z.string(), at: iso, modelId: z.string(), servedName: z.string(), vllmVersion: z.string().nullable(),
  launch: z.object({
    args: z.array(z.string()), image: z.string(), tensorParallel: z.number().int(), maxModelLen: z.number().nullable(),
    source: z.enum(['swap', 'catalog']).describe('swap: the entry as its launch read it; catalog: the entry now'),
  }),
  settings: z.object({ concurrency: z.array(z.number().int()), count: z.number().int(), maxTokens: z.number().int() }),
  levels: z.array(z.object({
    concurrency: z.number().int(), requests: z.number().int(), ok: z.number().int(), errors: z.number().int(), firstError: z.string().optional(),
    wallMs: z.number(), promptTokens: z.number(), generationTokens: z.number(), promptTokensPerSec: z.number(), generationTokensPerSec: z.number(),
    ttftMs: percentiles, latencyMs: percentiles,
  })),
  jobId: z.string(),
});
export const benchmarksResponse = z.object({
  runs: z.array(benchmarkRun).describe('Newest first'), running: job.nullable(), kept: z.number().int().describe('How many runs are kept'),
  served: z.string().nullable().describe('The served model\'s id'),
});

export const activityResponse = z.object({
  total: z.number().int().describe('Rows stored (all, not only those matching)'), kept: z.number().int(),
  entries: z.array(z.object({
    at: iso, client: z.string().describe('The client\'s name'), clientId: z.string().nullable().optional(), method: z.string(), path: z.string(),
    model: z.string().nullable(), status: z.number().int(), durationMs: z.number(), ttftMs: z.number().nullable().describe('Streams only'),
    tokensIn: z.number().nullable(), tokensOut: z.number().nullable(), stream: z.boolean(),
  })),
});
