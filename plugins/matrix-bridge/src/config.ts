import { z } from 'zod';
import { HOST_ID, SAFE_GIT_BRANCH, SAFE_USER, isSafeAbsolutePath } from '@spark-control/plugin-api';
import { SAFE_DOCKER_NAME, SAFE_IMAGE_REF } from './validators.js';

/** A path on the Spark: absolute, or relative to the bot user's home; allow-listed characters, no `.`/`..`. */
const remotePath = z.string().trim().max(255).refine(
  (p) => isSafeAbsolutePath(p) || (/^[A-Za-z0-9_][A-Za-z0-9._+/-]*$/.test(p) && !p.split('/').some((s) => s === '.' || s === '..' || s === '')),
  'must be an absolute path or a path under the bot user\'s home, using letters, digits and . _ + - / only',
);

/** One extra `docker run` argument, e.g. `--env-file=/home/bot/.env` or `-v`, `/data:/data`. */
const runArg = z.string().max(200).regex(/^(--?[a-z][a-z0-9-]*(=[A-Za-z0-9_./:@,=+-]*)?|[A-Za-z0-9_./:@,=+-]+)$/, 'only flags and values made of letters, digits and _ . / : @ , = + -');

export const matrixBridgeConfigSchema = z.object({
  hostId: z.string().regex(HOST_ID).default('spark-2').describe('Which Spark runs the bot.'),
  botUser: z.union([z.literal(''), z.string().regex(SAFE_USER, 'must be a Unix user name (a-z, 0-9, _ and -)')]).default('').describe('Unix user that owns the bot; blank = plugin idle and tile hidden.'),
  privateKeyPath: z.union([z.literal(''), z.string().refine(isSafeAbsolutePath, 'must be an absolute path')]).default('').describe("Private key for the bot user (blank = the service's own key). Absolute path on this server."),
  containerName: z.string().regex(SAFE_DOCKER_NAME, 'letters, digits, _ . - (docker container name)').default('matrix-bot').describe("Name of the bot's docker container."),
  image: z.string().regex(SAFE_IMAGE_REF, 'must be a docker image reference like matrix-bot:latest').default('matrix-bot:latest').describe('Image that Update builds and the container runs.'),
  sourceDir: remotePath.default('matrix-bot').describe("Git checkout of the bot on the Spark (absolute, or under the bot user's home)."),
  gitBranch: z.string().regex(SAFE_GIT_BRANCH, 'must be a git branch name').default('main').describe('Branch that Update pulls.'),
  runArgs: z.array(runArg).max(40).default([]).describe('Extra docker run arguments, one per line (e.g. --env-file=/home/bot/.env).'),
  updateTimeoutSeconds: z.number().int().min(5).max(7200).default(1500).describe('Hard cap for Update (git + build + recreate).'),
  statusIntervalMs: z.number().int().min(1000).max(600_000).default(10_000).describe('How often the container state is checked.'),
  commandTimeoutMs: z.number().int().min(1000).max(300_000).default(30_000).describe('Timeout of one docker command over SSH.'),
});
export type MatrixBridgeConfig = z.output<typeof matrixBridgeConfigSchema>;
