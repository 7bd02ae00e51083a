import { z } from 'zod';

/** Path of the model cache on each Spark: relative to the SSH user's home, or absolute. Allow-listed characters. */
const cachePath = z.string().trim().max(200).regex(/^\/?[A-Za-z0-9._][A-Za-z0-9._+/-]*$/, 'letters, digits and . _ + - / only').refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'no . or .. segments');

export const clusterConfigSchema = z.object({
  pollIntervalMs: z.number().int().min(1000).max(300_000).default(5000).describe('How often each Spark is polled (one SSH round trip per poll feeds every consumer).'),
  pollTimeoutMs: z.number().int().min(500).max(60_000).default(8000).describe('Timeout of one poll; a host that does not answer in time is marked unreachable.'),
  modelCacheDir: cachePath.default('.cache/huggingface').describe('Hugging Face cache (model weights) whose disk use is shown.'),
  diskUsageEveryPolls: z.number().int().min(1).max(1000).default(12).describe('du of the cache is slow on big caches: run it every N polls.'),
  connectivityLimit: z.number().int().min(10).max(2000).default(300).describe('Transitions kept in the connectivity view.'),
});
export type ClusterPluginConfig = z.output<typeof clusterConfigSchema>;
