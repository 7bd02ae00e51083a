import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isSafeAbsolutePath, unknownFields, validationError, type FieldError, type JsonStore, type Logger, type PluginContext } from '@spark-control/plugin-api';
import { MODEL_ID, SAFE_HF_REPO, SAFE_IMAGE_REF } from './validators.js';

/** Local model directories reach the launcher's UNQUOTED `VLLM_SPARK_EXTRA_DOCKER_ARGS`: only this alphabet passes. */
export const LOCAL_PATH = /^\/[A-Za-z0-9._/+-]+$/;
/** One vLLM argument: a flag or a value, no shell or glob characters (the launcher re-quotes, but we never rely on it). */
const ARG = /^[A-Za-z0-9._:/=+,@-]{1,200}$/;
const ENV_KEY = /^[A-Z][A-Z0-9_]{0,63}$/;
const ENV_VALUE = /^[A-Za-z0-9._:/=+,@-]{0,200}$/;

const localPath = z.string().max(240)
  .regex(LOCAL_PATH, 'must be an absolute path of letters, digits and . _ / + - only')
  .refine(isSafeAbsolutePath, 'must not contain . or .. segments or //');

export const modelSchema = z.object({
  id: z.string().regex(MODEL_ID, 'lower-case letters, digits, . _ - (max 64)'),
  name: z.string().trim().min(1, 'required').max(100),
  repo: z.string().regex(SAFE_HF_REPO, 'must be a Hugging Face id like org/name').optional(),
  localPath: localPath.optional(),
  servedName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'letters, digits, . _ : / - only'),
  tensorParallel: z.number().int().min(1).max(8).default(1),
  image: z.string().regex(SAFE_IMAGE_REF, 'must be a docker image reference').default('vllm-node'),
  args: z.array(z.string().regex(ARG, 'letters, digits and . _ : / = + , @ - only (no spaces or shell characters)')).max(60).default([]),
  env: z.record(z.string().regex(ENV_KEY, 'upper-case name'), z.string().regex(ENV_VALUE, 'letters, digits and . _ : / = + , @ - only')).default({}),
  chatTemplate: z.string().max(240).optional(),
  expectedLoadMinutes: z.number().min(0.05).max(240).default(20),
  /** What the weights weigh in GB (10^9 bytes), as the model card says: the fit estimate's figure until the files are
   *  on the Spark (their safetensors index or sizes then win). */
  weightsGB: z.number().positive().max(10_000).optional(),
  /** Whole-swap cap for this model (default: 2 × expected load, at least 15 min). */
  timeoutMinutes: z.number().min(0.1).max(480).optional(),
  /** Other names a request's `model` field may use for this model (besides its servedName and id). */
  aliases: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'letters, digits, . _ : / - only')).max(16).optional(),
  /** May a request naming this model load it (default: the loadOnRequest setting, on by default)? */
  loadOnRequest: z.boolean().optional(),
  /** Unload it after this many seconds without a request (default: never). */
  idleTtlSec: z.number().int().min(1).max(7 * 86_400).optional(),
  /** Requests that may wait for it to load at once (default: the queueMax setting). */
  queueMax: z.number().int().min(0).max(10_000).optional(),
  /** Longest a request waits for it to load before a 503 with Retry-After (default: the maxWaitSec setting). */
  maxWaitSec: z.number().int().min(1).max(4 * 3600).optional(),
  /** Launch with vLLM's sleep mode: an idle model sleeps (weights freed, process and graphs kept) and wakes in about a
   *  second instead of a cold start. */
  sleep: z.boolean().optional(),
  /** 2 (default): weights discarded and reloaded from disk on wake — on GB10's unified memory level 1's copy to host
   *  memory frees little. 1: weights kept in host memory. */
  sleepLevel: z.union([z.literal(1), z.literal(2)]).optional(),
  /** When models share the Sparks: never put to sleep or stopped to make room for another. */
  pinned: z.boolean().optional(),
  /** When models share the Sparks: the memory it is given per Spark, in GB (sets --gpu-memory-utilization). Default:
   *  its measured footprint, else the fit estimate. */
  memoryGB: z.number().positive().max(10_000).optional(),
}).superRefine((m, ctx) => {
  if (!!m.repo === !!m.localPath) ctx.addIssue({ code: 'custom', path: ['repo'], message: 'give exactly one of repo or localPath' });
  if (m.chatTemplate !== undefined) {
    if (!m.localPath) ctx.addIssue({ code: 'custom', path: ['chatTemplate'], message: 'a chat template file is only allowed with localPath (it must lie inside it)' });
    else if (!LOCAL_PATH.test(m.chatTemplate) || !isSafeAbsolutePath(m.chatTemplate) || !m.chatTemplate.startsWith(m.localPath.replace(/\/$/, '') + '/')) {
      ctx.addIssue({ code: 'custom', path: ['chatTemplate'], message: 'must be a file inside localPath' });
    }
  }
  if (m.args.some((a) => a === '--chat-template' || a.startsWith('--chat-template='))) {
    ctx.addIssue({ code: 'custom', path: ['args'], message: 'set the chat template with the chatTemplate field (it is checked to lie inside localPath)' });
  }
  if (m.args.some((a) => /^--(port|host|served-model-name)(=|$)/.test(a))) {
    ctx.addIssue({ code: 'custom', path: ['args'], message: '--port, --host and --served-model-name are set by Spark Control' });
  }
});
export type ModelEntry = z.output<typeof modelSchema>;

/** How long a swap to this model may take in all: its own cap, else twice its expected load and at least 15 min. */
export const swapTimeoutMs = (m: ModelEntry): number => (m.timeoutMinutes ?? Math.max(15, m.expectedLoadMinutes * 2)) * 60_000;

export interface CatalogEntry extends ModelEntry {
  source: 'builtin' | 'user';
}

/** Built-in YAML plus user entries (data dir). Invalid entries are skipped with a warning; user entries override
 *  built-ins with the same id. */
export function loadCatalog(builtinFile: string, userStore: JsonStore<unknown[]>, log: Logger): CatalogEntry[] {
  const out = new Map<string, CatalogEntry>();
  const add = (raw: unknown, source: CatalogEntry['source'], where: string) => {
    const r = modelSchema.safeParse(raw);
    if (!r.success) {
      log.warn('skipping invalid catalog entry', { where, id: typeof (raw as { id?: unknown })?.id === 'string' ? String((raw as { id: string }).id).slice(0, 64) : undefined, fields: r.error.issues.map((i) => i.path.join('.')) });
      return;
    }
    out.set(r.data.id, { ...r.data, source });
  };
  try {
    const doc = parseYaml(readFileSync(builtinFile, 'utf8')) as { models?: unknown[] };
    for (const m of doc.models ?? []) add(m, 'builtin', 'catalog.yaml');
  } catch (e) {
    log.error('built-in catalog unreadable', { error: (e as Error).message });
  }
  try {
    for (const m of userStore.read() ?? []) add(m, 'user', 'models.json');
  } catch (e) {
    log.warn('user catalog unreadable; using the built-in catalog', { error: (e as Error).message });
  }
  return [...out.values()];
}

/** The user's catalog entries (`<data dir>/models.json`). Version 0 is the plain array written before ctx.store. */
export function userCatalogStore(ctx: Pick<PluginContext, 'store'>): JsonStore<unknown[]> {
  return ctx.store<unknown[]>('models', { version: 1, migrate: (old) => (Array.isArray(old) ? old : []) });
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
/** The Python tool's names for an entry's fields (`local_path`, `served_name`, `tensor_parallel`…) → today's. */
const OLD_NAMES: Record<string, string> = Object.fromEntries(Object.keys(modelSchema.shape).filter((k) => snake(k) !== k).map((k) => [snake(k), k]));

/** A model entry as a client sends it: today's names or the old tool's snake_case ones (not both for one field),
 *  the old `--chat-template <file>` in `args` (taken as `chatTemplate`, so the same inside-localPath check applies),
 *  and no field this schema does not know (it would be dropped without a word). */
export function parseModelEntry(body: unknown): ModelEntry {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw validationError([{ field: '', message: 'must be a JSON object' }]);
  const input: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(body)) {
    const name = OLD_NAMES[k] ?? k;
    if (name !== k && k in OLD_NAMES && Object.prototype.hasOwnProperty.call(body, name)) errors.push({ field: k, message: `give one of ${k} or ${name}` });
    else input[name] = v;
  }
  let templateFromArgs = false;
  if (Array.isArray(input.args) && input.chatTemplate === undefined) {
    const args = input.args as unknown[];
    const i = args.findIndex((a) => a === '--chat-template' || (typeof a === 'string' && a.startsWith('--chat-template=')));
    if (i !== -1) {
      const a = args[i] as string;
      const value = a === '--chat-template' ? args[i + 1] : a.slice('--chat-template='.length);
      if (typeof value === 'string' && value) {
        input.chatTemplate = value;
        input.args = args.filter((_, j) => j !== i && !(a === '--chat-template' && j === i + 1));
        templateFromArgs = true;
      }
    }
  }
  errors.push(...unknownFields(modelSchema, input));
  const r = modelSchema.safeParse(input);
  if (!r.success) {
    for (const i of r.error.issues) {
      const field = i.path.join('.');
      errors.push({ field: templateFromArgs && field === 'chatTemplate' ? 'args' : field, message: templateFromArgs && field === 'chatTemplate' ? `--chat-template ${i.message}` : i.message });
    }
  }
  if (errors.length || !r.success) throw validationError(errors);
  return r.data;
}
