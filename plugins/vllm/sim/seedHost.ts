import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimHostSeed } from '@spark-control/plugin-api';

// The real models' attention shapes and (approximate) weight sizes, so the fit estimate has something true to read:
// the files stay tiny, their safetensors index says how big the real ones are (Qwen3 4B: 4.02 B parameters in bf16;
// gpt-oss 20B: MXFP4 experts, ~13.8 GB on the Hub).
const CACHED_MODELS = [
  ['models--Qwen--Qwen3-4B-Instruct-2507', 3, 8_044_936_192, { architectures: ['Qwen3ForCausalLM'], num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, hidden_size: 2560, max_position_embeddings: 262144, torch_dtype: 'bfloat16' }],
  ['models--openai--gpt-oss-20b', 5, 13_761_300_984, { architectures: ['GptOssForCausalLM'], num_hidden_layers: 24, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, hidden_size: 2880, max_position_embeddings: 131072, torch_dtype: 'bfloat16' }],
] as const;

/** What vLLM finds on every simulated Spark: a Hugging Face cache with two models, the `hf` CLI and eugr's launcher;
 *  on the first Spark of the demo, Qwen3 4B already being served in `vllm_node`. */
export function seedVllmHost(h: SimHostSeed): void {
  const hub = join(h.root, '.cache/huggingface/hub');
  if (!existsSync(hub)) {
    for (const [repo, mb, , config] of CACHED_MODELS) {
      const snap = join(hub, repo, 'snapshots', 'a1b2c3');
      mkdirSync(snap, { recursive: true });
      writeFileSync(join(snap, 'config.json'), JSON.stringify(config));
      writeFileSync(join(snap, 'model.safetensors'), Buffer.alloc(mb * 1024 * 1024));
    }
  }
  // Also into a data dir kept from before the index was seeded (a model the user deleted stays deleted).
  for (const [repo, , totalSize] of CACHED_MODELS) {
    const snap = join(hub, repo, 'snapshots', 'a1b2c3');
    const index = join(snap, 'model.safetensors.index.json');
    if (existsSync(snap) && !existsSync(index)) writeFileSync(index, JSON.stringify({ metadata: { total_size: totalSize }, weight_map: { 'lm_head.weight': 'model.safetensors' } }));
  }
  // eugr/spark-vllm-docker's launcher, where the owner keeps it. Refreshed on every start: it is the simulator's, and
  // an older copy in a kept data dir would lack what it learned since. (scripts/build.mjs copies it next to this file.)
  mkdirSync(join(h.root, 'spark-vllm-docker'), { recursive: true });
  cpSync(fileURLToPath(new URL('./launch-cluster.sh', import.meta.url)), join(h.root, 'spark-vllm-docker/launch-cluster.sh'));
  // The Hugging Face CLI, as `pip install --user huggingface_hub` leaves it (its fake downloads into the cache above).
  h.installTool('hf', fileURLToPath(new URL('./hf.mjs', import.meta.url)));
  if (h.hostId === 'spark-1' && h.demo) {
    // What the launcher leaves behind after `--solo -d exec vllm serve …`, loaded a minute ago.
    const serve = ['vllm', 'serve', 'Qwen/Qwen3-4B-Instruct-2507', '--host', '0.0.0.0', '--port', '8888', '--served-model-name', 'qwen3-4b'];
    h.addContainer({
      name: 'vllm_node', image: 'vllm-node', cmd: ['sleep', 'infinity'], startedAt: new Date(Date.now() - 60_000),
      runArgs: ['--gpus', 'all', '-d', '--rm', '--network', 'host', '--name', 'vllm_node', '--privileged', '--ipc=host'],
      exec: ['bash', '-c', `${serve.join(' ')} >> /proc/1/fd/1 2>&1`],
    });
  }
}
