import { describe, expect, it } from 'vitest';
import { estimateFit, kvBytesPerToken, kvShape, parseTokens, weightsSize, WORKING_MEMORY_BYTES } from './src/fit.js';

const GiB = 1024 ** 3;
// Published config.json shapes.
const llama3_8b = { num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_size: 4096, max_position_embeddings: 8192, torch_dtype: 'bfloat16' };
/** The same attention with a context window long enough for the memory arithmetic below. */
const longLlama = { ...llama3_8b, max_position_embeddings: 8 * 1024 ** 2 };
const deepseekV3 = { num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, hidden_size: 7168, kv_lora_rank: 512, qk_rope_head_dim: 64, max_position_embeddings: 163840, torch_dtype: 'bfloat16' };

describe('vLLM fit estimate: KV cache size', () => {
  it('matches the known per-token KV size of Llama 3 8B (128 KiB in bf16) and halves with an fp8 KV cache', () => {
    expect(kvBytesPerToken(kvShape(llama3_8b, [])!)).toBe(128 * 1024);
    expect(kvBytesPerToken(kvShape(llama3_8b, ['--kv-cache-dtype', 'fp8'])!)).toBe(64 * 1024);
    expect(kvBytesPerToken(kvShape(llama3_8b, ['--kv-cache-dtype=fp8_e4m3'])!)).toBe(64 * 1024);
  });

  it('sizes multi-head latent attention by its latent (DeepSeek V3: 61 × 576 × 2 bytes)', () => {
    expect(kvBytesPerToken(kvShape(deepseekV3, [])!)).toBe(61 * 576 * 2);
  });

  it('reads a multimodal config from text_config, and says nothing when layers or heads are missing', () => {
    expect(kvShape({ architectures: ['X'], text_config: llama3_8b }, [])).toMatchObject({ layers: 32, kvHeads: 8, headDim: 128 });
    expect(kvShape({ architectures: ['SimForCausalLM'] }, [])).toBeUndefined();
    expect(kvShape('not an object', [])).toBeUndefined();
    expect(kvShape({ ...llama3_8b, num_hidden_layers: '32' }, [])).toBeUndefined(); // wrong type: ignored, not guessed
  });

  it('reads --max-model-len as vLLM does (32768, 32k, 1m)', () => {
    expect(parseTokens('32768')).toBe(32768);
    expect(parseTokens('32k')).toBe(32768);
    expect(parseTokens('1m')).toBe(1024 ** 2);
    expect(parseTokens('lots')).toBeUndefined();
  });
});

describe('vLLM fit estimate: verdicts', () => {
  const mem = 128 * GiB; // one DGX Spark
  it('fits: weights + KV for the context + working memory within --gpu-memory-utilization × memory', () => {
    const e = estimateFit({ weightsBytes: 16 * GiB, config: llama3_8b, args: ['--max-model-len', '8192', '--gpu-memory-utilization', '0.5'], tensorParallel: 1, memTotalBytes: mem });
    expect(e.verdict).toBe('fits');
    expect(e.needBytesPerNode).toBe(16 * GiB + 8192 * 128 * 1024 + WORKING_MEMORY_BYTES);
    expect(e.availableBytesPerNode).toBe(64 * GiB);
    expect(e.summary).toMatch(/^Fits on one Spark: 19\.0 GiB of 64\.0 GiB per Spark/);
  });

  it('needs 2 Sparks when one is too small but tensor parallel 2 fits, and names the context that would fit on one', () => {
    // 70 GiB of weights + 1 M tokens of KV (128 GiB at 128 KiB/token) on 115.2 GiB: no; halved on two: yes.
    const e = estimateFit({ weightsBytes: 70 * GiB, config: longLlama, args: ['--max-model-len', '1m'], tensorParallel: 1, memTotalBytes: mem });
    expect(e).toMatchObject({ verdict: 'needs-more-sparks', sparksNeeded: 2 });
    const oneSpark = Math.floor(((mem * 0.9 - WORKING_MEMORY_BYTES - 70 * GiB)) / (128 * 1024));
    expect(e.maxContextThatFits).toBe(oneSpark);
    expect(e.summary).toContain('Needs 2 Sparks: set tensorParallel to 2 to run it across them');
    expect(e.summary).toContain(`lower --max-model-len to ${oneSpark.toLocaleString('en')}`);
    // Declared with tensor parallel 2, the same model fits.
    expect(estimateFit({ weightsBytes: 70 * GiB, config: longLlama, args: ['--max-model-len', '1m'], tensorParallel: 2, memTotalBytes: mem }).verdict).toBe('fits');
    // What fits is never more than the model's own window.
    expect(estimateFit({ weightsBytes: 70 * GiB, config: llama3_8b, args: ['--max-model-len', '1m'], tensorParallel: 1, memTotalBytes: mem }).maxContextThatFits).toBe(8192);
  });

  it('too large: not even both Sparks hold it; says how far to cut the context, or that the weights alone are too big', () => {
    const long = estimateFit({ weightsBytes: 20 * GiB, config: longLlama, args: ['--max-model-len', '4m'], tensorParallel: 1, memTotalBytes: mem });
    expect(long.verdict).toBe('too-large');
    expect(long.summary).toMatch(/not even on both Sparks.*Lower --max-model-len to [\d,]+ \([\d,]+ with tensor parallel 2\)/);
    const huge = estimateFit({ weightsBytes: 300 * GiB, config: llama3_8b, args: [], tensorParallel: 2, memTotalBytes: mem });
    expect(huge).toMatchObject({ verdict: 'too-large', maxContextThatFits: 0 });
    expect(huge.summary).toMatch(/weights alone do not fit/);
  });

  it('unknown when the model is not downloaded or its config says too little, and uses vLLM\'s default utilisation', () => {
    const absent = estimateFit({ weightsBytes: undefined, config: undefined, args: [], tensorParallel: 1, memTotalBytes: mem });
    expect(absent).toMatchObject({ verdict: 'unknown', weightsBytes: null, gpuMemoryUtilization: 0.9 });
    expect(absent.summary).toMatch(/Not on the Spark yet/);
    expect(estimateFit({ weightsBytes: GiB, config: { architectures: ['X'] }, args: [], tensorParallel: 1, memTotalBytes: mem }).verdict).toBe('unknown');
    // The model's own maximum context is used when --max-model-len is not given.
    expect(estimateFit({ weightsBytes: GiB, config: llama3_8b, args: [], tensorParallel: 1, memTotalBytes: mem }).contextTokens).toBe(8192);
  });
});

describe('vLLM fit estimate: the size of the weights', () => {
  const GB = 1e9;
  const stated = { ...llama3_8b, num_parameters: 8_030_261_248 }; // a config.json that states its parameter count
  it('takes the safetensors index over the files, the files over config.json, config.json over the catalog', () => {
    const all = { indexTotalSize: 16.06 * GB, filesBytes: 3 * 1024 ** 2, config: stated, catalogBytes: 15 * GB };
    expect(weightsSize(all)).toEqual({ bytes: 16.06 * GB, source: 'safetensors-index' });
    expect(weightsSize({ ...all, indexTotalSize: undefined })).toEqual({ bytes: 3 * 1024 ** 2, source: 'files' });
    expect(weightsSize({ ...all, indexTotalSize: undefined, filesBytes: 0 })).toEqual({ bytes: 8_030_261_248 * 2, source: 'config' });
    expect(weightsSize({ catalogBytes: 15 * GB, config: llama3_8b })).toEqual({ bytes: 15 * GB, source: 'catalog' });
    expect(weightsSize({})).toBeUndefined();
  });

  it('reads config.json\'s count by its dtype and not at all for a quantised model (its bytes per parameter are not the dtype\'s)', () => {
    expect(weightsSize({ config: { num_parameters: 1000, torch_dtype: 'float32' } })).toEqual({ bytes: 4000, source: 'config' });
    expect(weightsSize({ config: { num_parameters: 1000, torch_dtype: 'float8_e4m3fn' } })).toEqual({ bytes: 1000, source: 'config' });
    expect(weightsSize({ config: { num_parameters: 1000, torch_dtype: 'bfloat16', quantization_config: { quant_method: 'mxfp4' } }, catalogBytes: 7 })).toEqual({ bytes: 7, source: 'catalog' });
    expect(weightsSize({ config: { num_parameters: '1000' }, indexTotalSize: -1, filesBytes: Number.NaN })).toBeUndefined();
  });

  it('names the source in the answer and its sentence; before download the catalog\'s figure is all it says', () => {
    const e = estimateFit({ weightsBytes: 16 * GiB, weightsSource: 'safetensors-index', config: llama3_8b, args: ['--max-model-len', '8192'], tensorParallel: 1, memTotalBytes: 128 * GiB });
    expect(e).toMatchObject({ verdict: 'fits', weightsSource: 'safetensors-index' });
    expect(e.summary).toContain('weights 16.0 GiB from the safetensors index');
    const before = estimateFit({ weightsBytes: 65 * GB, weightsSource: 'catalog', args: [], tensorParallel: 1, memTotalBytes: 128 * GiB });
    expect(before).toMatchObject({ verdict: 'unknown', weightsBytes: 65 * GB, weightsSource: 'catalog' });
    expect(before.summary).toMatch(/^Not on the Spark yet: weights 60\.5 GiB as the catalog declares; the KV cache/);
  });
});
