import { z } from 'zod';
import { SAFE_DOCKER_NAME, SAFE_GIT_BRANCH, SAFE_IMAGE_REF, SAFE_USER, isSafeAbsolutePath } from '../../../core/src/api/index.js';

/** A path on the Spark: absolute, or relative to the bot user's home; allow-listed characters, no `.`/`..`. */
const remotePath = z.string().trim().max(255).refine(
  (p) => isSafeAbsolutePath(p) || (/^[A-Za-z0-9_][A-Za-z0-9._+/-]*$/.test(p) && !p.split('/').some((s) => s === '.' || s === '..' || s === '')),
  'must be an absolute path or a path under the bot user\'s home, using letters, digits and . _ + - / only',
);

/** One extra `docker run` argument, e.g. `--env-file=/home/bot/.env` or `-v`, `/data:/data`. */
const runArg = z.string().max(200).regex(/^(--?[a-z][a-z0-9-]*(=[A-Za-z0-9_./:@,=+-]*)?|[A-Za-z0-9_./:@,=+-]+)$/, 'only flags and values made of letters, digits and _ . / : @ , = + -');

export const matrixBridgeConfigSchema = z.object({
  /** Which Spark runs the bot. */
  hostId: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/).default('spark-2'),
  /** Unix user that owns the bot; blank = plugin idle and tile hidden. */
  botUser: z.union([z.literal(''), z.string().regex(SAFE_USER, 'must be a Unix user name (a-z, 0-9, _ and -)')]).default(''),
  /** Private key for the bot user (blank = the service's own key). Absolute path on this server. */
  privateKeyPath: z.union([z.literal(''), z.string().refine(isSafeAbsolutePath, 'must be an absolute path')]).default(''),
  containerName: z.string().regex(SAFE_DOCKER_NAME, 'letters, digits, _ . - (docker container name)').default('matrix-bot'),
  image: z.string().regex(SAFE_IMAGE_REF, 'must be a docker image reference like matrix-bot:latest').default('matrix-bot:latest'),
  sourceDir: remotePath.default('matrix-bot'),
  gitBranch: z.string().regex(SAFE_GIT_BRANCH, 'must be a git branch name').default('main'),
  runArgs: z.array(runArg).max(40).default([]),
  /** Hard cap for Update (git + build + recreate). */
  updateTimeoutSeconds: z.number().int().min(5).max(7200).default(1500),
  statusIntervalMs: z.number().int().min(1000).max(600_000).default(10_000),
  commandTimeoutMs: z.number().int().min(1000).max(300_000).default(30_000),
});
export type MatrixBridgeConfig = z.output<typeof matrixBridgeConfigSchema>;
