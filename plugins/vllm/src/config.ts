import { z } from 'zod';
import { MAX_SLOTS } from './swap/slot.js';

const homePath = z.string().trim().max(200).regex(/^\/?[A-Za-z0-9_][A-Za-z0-9._+/-]*$/, 'letters, digits and . _ + - / only').refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'no . or .. segments');

export const vllmConfigSchema = z.object({
  port: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.number().int().min(1).max(65535).default(8888)).describe('Port vLLM serves on (blank = 8888); the host comes from the service map (default Spark 1).'),
  launcherPath: homePath.default('spark-vllm-docker/launch-cluster.sh').describe("eugr/spark-vllm-docker launcher, relative to the SSH user's home or absolute."),
  containerName: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/).default('vllm_node').describe('Container the launcher starts vLLM in.'),
  hfHome: homePath.default('.cache/huggingface').describe('Hugging Face home on the Spark (hub = <hfHome>/hub).'),
  memoryFloorPct: z.number().min(0).max(100).default(70).describe('Memory settle: wait until MemAvailable is at least this share of MemTotal before launching.'),
  memorySettleTimeoutSec: z.number().int().min(0).max(3600).default(180).describe('How long to wait for memory to come back before giving up.'),
  stopTimeoutSec: z.number().int().min(5).max(600).default(90).describe('How long to wait for the old container to disappear after stop.'),
  drainTimeoutSec: z.number().int().min(0).max(600).default(30).describe('Before stopping the old model, give requests in flight this long to finish (new ones already get 503).'),
  sshOutageToleranceSec: z.number().int().min(5).max(3600).default(60).describe('During launch and loading, how long a lost SSH connection to the Spark is waited out before the swap fails (the model keeps loading meanwhile).'),
  readinessPollMs: z.number().int().min(100).max(2000).default(1000).describe('How often readiness is checked (≤ 2 s keeps "ready → active" under one poll).'),
  rollbackOnFailure: z.boolean().default(false).describe('When a swap fails, start the model that was active before it again (once; not after a cancel). A swap request can also ask for it with "rollback": true.'),
  downloadCli: z.enum(['hf', 'uvx hf', 'huggingface-cli']).default('hf').describe('Hugging Face command on the Spark that downloads models (hf, uvx hf, or the older huggingface-cli).'),
  downloadTimeoutMin: z.number().int().min(1).max(24 * 60).default(360).describe('Longest a model download may take before it is stopped (it resumes when started again).'),
  loadOnRequest: z.boolean().default(true).describe('A chat or completion request naming a catalog model that is not served loads it (a model entry can opt out with "loadOnRequest": false).'),
  queueMax: z.number().int().min(0).max(10_000).default(64).describe('Requests that may wait at once for one model to load; past it, 503 with Retry-After.'),
  maxWaitSec: z.number().int().min(1).max(4 * 3600).default(600).describe('Longest a request waits for its model to load before a 503 with Retry-After (the load goes on).'),
  minResidencySec: z.number().int().min(0).max(3600).default(60).describe('A model loaded keeps serving at least this long before a request for another model may replace it (no thrashing).'),
  loadingCommentSec: z.number().int().min(1).max(60).default(5).describe('A streaming request waiting for its model gets an SSE comment ": loading <model>" this often.'),
  maxResident: z.number().int().min(1).max(MAX_SLOTS).default(1).describe(`Models served at once (1–${MAX_SLOTS}). 1: a swap replaces the served model. More: a model that fits the memory budget loads beside the others, each in its own container and port; one that does not fit puts the least recently used ones to sleep, then stops them (pinned ones never).`),
  memoryBudgetGB: z.number().positive().max(10_000).nullable().default(null).describe('Memory of each Spark that served models may hold, in GB (blank: MemTotal less osReserveGB). Services that declare memory (speech, embeddings…) are taken off it on their Spark.'),
  osReserveGB: z.number().min(0).max(1000).default(20).describe('With no memoryBudgetGB: what each Spark keeps for its OS and page cache (about 108 of a Spark\'s 128 GB stay usable).'),
  preload: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)).max(16).default([]).describe('Catalog ids to load when Spark Control starts, if nothing is served yet (the first one that loads).'),
  webhooks: z.array(z.string().url().max(500).refine((u) => /^https?:\/\//.test(u), 'http(s) only')).max(10).default([]).describe('Called with every vllm.swap.* event (POST JSON, 5 s timeout).'),
});
export type VllmConfig = z.output<typeof vllmConfigSchema>;
