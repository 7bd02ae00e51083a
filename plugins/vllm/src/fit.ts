import { z } from 'zod';

/**
 * Will a model fit before it is launched? vLLM needs, on every node: its share of the weights, room in the KV cache
 * for at least one sequence of the full context length (otherwise it stops with "max seq len … is larger than the
 * maximum number of tokens that can be stored in KV cache"), and some working memory — all inside
 * `--gpu-memory-utilization` × memory. A DGX Spark's memory is unified (nvidia-smi shows it as [N/A]), so the memory is
 * MemTotal. The weights are what the model's files say they weigh (quantised models are small on disk and in memory
 * alike): see weightsSize for which figure wins. An estimate: it shows its basis, so a user can see why.
 */

/** CUDA context, activations and CUDA graphs per node: what a vLLM profile run typically reserves beyond weights + KV. */
export const WORKING_MEMORY_BYTES = 2 * 1024 ** 3;
/** vLLM's default --gpu-memory-utilization. */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;
/** Two DGX Sparks: tensor parallel beyond 2 nodes is not possible here. */
export const MAX_SPARKS = 2;

const count = z.number().int().positive().optional();
/** The fields of a Hugging Face config.json that size the KV cache (text_config for multimodal models). */
const hfConfig = z.object({
  num_hidden_layers: count, n_layer: count, num_layers: count,
  num_attention_heads: count, n_head: count,
  num_key_value_heads: count, multi_query_group_num: count,
  head_dim: count, hidden_size: count, n_embd: count,
  max_position_embeddings: count, max_seq_len: count, seq_length: count,
  /** Multi-head latent attention (DeepSeek): one compressed latent per token and layer instead of K and V per head. */
  kv_lora_rank: count, qk_rope_head_dim: count,
  torch_dtype: z.string().optional(), dtype: z.string().optional(),
});
type HfConfig = z.output<typeof hfConfig>;

export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  /** Bytes per cached element (2 for bf16/fp16, 1 with an fp8 KV cache). */
  elementBytes: number;
  /** The model's own maximum context. */
  maxPositions?: number;
  /** MLA latent width (replaces 2 × kvHeads × headDim). */
  latentWidth?: number;
}

/** The KV-cache shape of a config.json, or undefined when it does not say enough. */
export function kvShape(configJson: unknown, args: string[]): KvShape | undefined {
  const outer = z.object({ text_config: z.unknown().optional() }).passthrough().safeParse(configJson);
  if (!outer.success) return undefined;
  const merged = { ...(outer.data as object), ...(typeof outer.data.text_config === 'object' && outer.data.text_config ? outer.data.text_config : {}) };
  const parsed = hfConfig.safeParse(pickKnown(merged));
  if (!parsed.success) return undefined;
  const c: HfConfig = parsed.data;
  const layers = c.num_hidden_layers ?? c.n_layer ?? c.num_layers;
  const heads = c.num_attention_heads ?? c.n_head;
  const hidden = c.hidden_size ?? c.n_embd;
  const headDim = c.head_dim ?? (hidden && heads ? hidden / heads : undefined);
  const kvHeads = c.num_key_value_heads ?? c.multi_query_group_num ?? heads;
  if (!layers || !kvHeads || !headDim) return undefined;
  const kvDtype = argValue(args, '--kv-cache-dtype');
  const modelDtype = argValue(args, '--dtype') ?? c.torch_dtype ?? c.dtype ?? 'bfloat16';
  const elementBytes = kvDtype && kvDtype !== 'auto' ? (kvDtype.startsWith('fp8') ? 1 : 2) : modelDtype.includes('32') ? 4 : 2;
  const latentWidth = c.kv_lora_rank ? c.kv_lora_rank + (c.qk_rope_head_dim ?? 0) : undefined;
  return { layers, kvHeads, headDim, elementBytes, maxPositions: c.max_position_embeddings ?? c.max_seq_len ?? c.seq_length, latentWidth };
}

/** Bytes the KV cache holds per token of context (all layers, K and V). */
export function kvBytesPerToken(s: KvShape): number {
  const perLayer = s.latentWidth ? s.latentWidth : 2 * s.kvHeads * s.headDim;
  return s.layers * perLayer * s.elementBytes;
}

/** `--flag value` or `--flag=value`. */
export function argValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(flag + '=')) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

/** vLLM's --max-model-len accepts 32768, 32k, 1m (powers of 1024 for k/m, as vLLM reads them). */
export function parseTokens(v: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v ?? '');
  if (!m) return undefined;
  const mult = m[2] ? (m[2].toLowerCase() === 'k' ? 1024 : 1024 ** 2) : 1;
  return Math.round(Number(m[1]) * mult);
}

/** Where the weights' size came from, best first (weightsSize). */
export type WeightsSource = 'safetensors-index' | 'files' | 'config' | 'catalog';

const SOURCE_WORDS: Record<WeightsSource, string> = {
  'safetensors-index': 'from the safetensors index',
  files: "the weight files' size",
  config: "config.json's parameter count",
  catalog: 'as the catalog declares',
};

export interface WeightsFound {
  /** `metadata.total_size` of model.safetensors.index.json: the tensors' bytes, there before the shards are. */
  indexTotalSize?: number;
  /** The weight files' sizes added up (what is on disk). */
  filesBytes?: number;
  /** Parsed config.json: a parameter count it states × the bytes of its dtype. */
  config?: unknown;
  /** What the catalog entry declares (for a model that is not downloaded). */
  catalogBytes?: number;
}

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** The weights' size from the best figure there is: the safetensors index, else the files, else config.json's
 *  parameter count × dtype bytes, else the catalog; undefined when nothing says. */
export function weightsSize(f: WeightsFound): { bytes: number; source: WeightsSource } | undefined {
  if (positive(f.indexTotalSize)) return { bytes: f.indexTotalSize, source: 'safetensors-index' };
  if (positive(f.filesBytes)) return { bytes: f.filesBytes, source: 'files' };
  const fromConfig = configWeightsBytes(f.config);
  if (fromConfig !== undefined) return { bytes: fromConfig, source: 'config' };
  if (positive(f.catalogBytes)) return { bytes: f.catalogBytes, source: 'catalog' };
  return undefined;
}

/** A config.json that states its parameter count (`num_parameters`) in a plain dtype: count × bytes per parameter.
 *  A quantised model's bytes per parameter are not its dtype's, so it says nothing. */
function configWeightsBytes(config: unknown): number | undefined {
  const c = z.object({ num_parameters: z.number().int().positive(), torch_dtype: z.string().optional(), dtype: z.string().optional(), quantization_config: z.unknown().optional() }).safeParse(config);
  if (!c.success || c.data.quantization_config !== undefined) return undefined;
  const dtype = c.data.torch_dtype ?? c.data.dtype ?? 'bfloat16';
  const bytes = dtype.includes('32') ? 4 : dtype.includes('16') ? 2 : dtype.includes('8') ? 1 : undefined;
  return bytes === undefined ? undefined : c.data.num_parameters * bytes;
}

export interface FitInput {
  /** What the model's weights weigh, or undefined when nothing says (see weightsSize). */
  weightsBytes?: number;
  /** Where weightsBytes came from. */
  weightsSource?: WeightsSource;
  /** Parsed config.json, if one was found. */
  config?: unknown;
  args: string[];
  tensorParallel: number;
  /** MemTotal of a Spark (both are taken to be alike). */
  memTotalBytes: number;
}

export type FitVerdict = 'fits' | 'needs-more-sparks' | 'too-large' | 'unknown';

export interface FitEstimate {
  verdict: FitVerdict;
  /** One sentence a user can act on. */
  summary: string;
  /** Sparks the model needs with its context length (undefined when unknown or too large). */
  sparksNeeded?: number;
  tensorParallel: number;
  weightsBytes: number | null;
  weightsSource: WeightsSource | null;
  kvBytesPerToken: number | null;
  contextTokens: number | null;
  /** Per node, at the configured tensor-parallel size. */
  needBytesPerNode: number | null;
  availableBytesPerNode: number;
  gpuMemoryUtilization: number;
  /** The longest context that fits at the configured tensor-parallel size (null when unknown). */
  maxContextThatFits: number | null;
}

const gib = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${Math.max(1, Math.round(b / 1024 ** 2))} MiB`);

export function estimateFit(input: FitInput): FitEstimate {
  const util = Number(argValue(input.args, '--gpu-memory-utilization') ?? DEFAULT_GPU_MEMORY_UTILIZATION);
  const gpuMemoryUtilization = Number.isFinite(util) && util > 0 && util <= 1 ? util : DEFAULT_GPU_MEMORY_UTILIZATION;
  const available = Math.floor(input.memTotalBytes * gpuMemoryUtilization);
  const tp = input.tensorParallel;
  const shape = input.config === undefined ? undefined : kvShape(input.config, input.args);
  const perToken = shape ? kvBytesPerToken(shape) : undefined;
  const context = parseTokens(argValue(input.args, '--max-model-len')) ?? shape?.maxPositions;
  const base: FitEstimate = {
    verdict: 'unknown', summary: '', tensorParallel: tp, weightsBytes: input.weightsBytes ?? null,
    weightsSource: input.weightsBytes === undefined ? null : input.weightsSource ?? null, kvBytesPerToken: perToken ?? null,
    contextTokens: context ?? null, needBytesPerNode: null, availableBytesPerNode: available, gpuMemoryUtilization, maxContextThatFits: null,
  };
  if (input.weightsBytes === undefined) return { ...base, summary: 'Not on the Spark yet: the estimate needs the downloaded files.' };
  const weights = `${gib(input.weightsBytes)}${input.weightsSource ? ` ${SOURCE_WORDS[input.weightsSource]}` : ''}`;
  if (input.config === undefined) {
    return { ...base, summary: `Not on the Spark yet: weights ${weights}; the KV cache for its context is known once config.json is downloaded.` };
  }
  if (perToken === undefined || context === undefined) {
    return { ...base, summary: `config.json does not describe the model's layers and heads: only the weights are known (${weights}).` };
  }
  const need = (n: number) => Math.ceil(input.weightsBytes! / n + (perToken * context) / n + WORKING_MEMORY_BYTES);
  // Never more than the model itself can attend to.
  const fitsContext = (n: number) => Math.min(shape?.maxPositions ?? Infinity, Math.max(0, Math.floor(((available - WORKING_MEMORY_BYTES - input.weightsBytes! / n) * n) / perToken)));
  const needHere = need(tp);
  const out = { ...base, needBytesPerNode: needHere, maxContextThatFits: fitsContext(tp) };
  const sparks = [1, 2].find((n) => n <= MAX_SPARKS && need(n) <= available);
  const at = `${gib(needHere)} of ${gib(available)} per Spark (weights ${weights}, KV cache for ${context.toLocaleString('en')} tokens ${gib(perToken * context)})`;
  if (needHere <= available) {
    return { ...out, verdict: 'fits', sparksNeeded: sparks, summary: tp === 1 ? `Fits on one Spark: ${at}.` : `Fits on ${tp} Sparks (tensor parallel ${tp}, one GPU each): ${at}.` };
  }
  if (sparks !== undefined && sparks > tp) {
    // Set to fewer Sparks than it needs: say how many, and what would make it fit where it is set to run.
    const cut = out.maxContextThatFits > 0 ? ` To run it on ${tp === 1 ? 'one Spark' : `${tp} Sparks`}, lower --max-model-len to ${out.maxContextThatFits.toLocaleString('en')}.` : '';
    return { ...out, verdict: 'needs-more-sparks', sparksNeeded: sparks, summary: `Needs ${sparks} Sparks: set tensorParallel to ${sparks} to run it across them (${at}).${cut}` };
  }
  const onBoth = tp < MAX_SPARKS ? fitsContext(MAX_SPARKS) : 0;
  const shorter = out.maxContextThatFits > 0
    ? ` Lower --max-model-len to ${out.maxContextThatFits.toLocaleString('en')}${onBoth > out.maxContextThatFits ? ` (${onBoth.toLocaleString('en')} with tensor parallel ${MAX_SPARKS})` : ''}.`
    : onBoth > 0 ? ` With tensor parallel ${MAX_SPARKS} it fits up to --max-model-len ${onBoth.toLocaleString('en')}.` : ' The weights alone do not fit.';
  return { ...out, verdict: 'too-large', summary: `Does not fit${tp < MAX_SPARKS ? ', not even on both Sparks' : ''}: ${at}.${shorter}` };
}

function pickKnown(o: object): Record<string, unknown> {
  const keys = Object.keys(hfConfig.shape);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    // A config field of an unexpected type is ignored rather than failing the whole estimate.
    if (v !== undefined && (typeof v === 'number' ? Number.isInteger(v) && v > 0 : k.endsWith('dtype') && typeof v === 'string')) out[k] = v;
  }
  return out;
}
