// Fake `hf download <org/name>`: fills the HF cache layout ($HF_HOME/hub/models--org--name/{blobs,refs,snapshots})
// file by file, a blob growing as `<hash>.incomplete` until it is complete (so an interrupted download leaves what a
// real one leaves, and the next run resumes). Progress goes to stderr like tqdm: `\r`-separated updates.
// Knobs in $SIM_STATE/hf-sim.json: { "files": 4, "chunkMs": 150, "fail": "gated" | "network" }.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const knobs = (() => { try { return JSON.parse(readFileSync(join(process.env.SIM_STATE ?? '.', 'hf-sim.json'), 'utf8')); } catch { return {}; } })();
const [cmd, repo] = process.argv.slice(2);
if (cmd !== 'download' || !repo || !/^[\w.-]+\/[\w.-]+$/.test(repo)) {
  process.stderr.write('usage: hf download <repo_id>\n');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Attention shapes of the catalog's models as their config.json gives them (the fit estimate reads these).
const SHAPES = {
  'openai/gpt-oss-120b': { architectures: ['GptOssForCausalLM'], num_hidden_layers: 36, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, hidden_size: 2880, max_position_embeddings: 131072, torch_dtype: 'bfloat16' },
  'Qwen/Qwen3-Coder-30B-A3B-Instruct': { architectures: ['Qwen3MoeForCausalLM'], num_hidden_layers: 48, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, hidden_size: 2048, max_position_embeddings: 262144, torch_dtype: 'bfloat16' },
  default: { architectures: ['SimForCausalLM'], num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, hidden_size: 4096, max_position_embeddings: 32768, torch_dtype: 'bfloat16' },
};
// What each model's safetensors index says its weights weigh (approximate: from the parameter count × bytes per
// parameter, MXFP4 experts for gpt-oss), while the shards themselves stay 1 MiB each. The default is a Llama-3-8B-
// like model (the default shape) in bf16.
const TOTAL_SIZE = {
  'openai/gpt-oss-120b': 65_248_815_744,
  'Qwen/Qwen3-Coder-30B-A3B-Instruct': 61_064_245_248,
  default: 16_060_522_496,
};
if (knobs.fail === 'gated') {
  process.stderr.write(`huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo for url https://huggingface.co/${repo}/resolve/main/config.json.\nAccess to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.\n`);
  process.exit(1);
}
const hub = join(process.env.HF_HOME ?? join(process.env.HOME, '.cache/huggingface'), 'hub');
const dir = join(hub, `models--${repo.replace('/', '--')}`);
const commit = createHash('sha1').update(repo).digest('hex');
const snap = join(dir, 'snapshots', commit);
mkdirSync(join(dir, 'blobs'), { recursive: true });
mkdirSync(join(dir, 'refs'), { recursive: true });
mkdirSync(snap, { recursive: true });
mkdirSync(join(hub, '.locks', `models--${repo.replace('/', '--')}`), { recursive: true });
writeFileSync(join(dir, 'refs', 'main'), commit);

const n = knobs.files ?? 4;
const names = ['config.json', ...Array.from({ length: n - 1 }, (_, i) => `model-0000${i + 1}-of-0000${n - 1}.safetensors`)];
const chunk = 256 * 1024;
for (let i = 0; i < names.length; i++) {
  const name = names[i];
  const hash = createHash('sha256').update(`${repo}/${name}`).digest('hex');
  const blob = join(dir, 'blobs', hash);
  if (!existsSync(blob)) {
    const part = `${blob}.incomplete`;
    const size = name === 'config.json' ? 0 : 4 * chunk;
    let have = existsSync(part) ? statSync(part).size : 0;
    if (name === 'config.json') writeFileSync(part, JSON.stringify({ ...(SHAPES[repo] ?? SHAPES.default), repo }));
    while (have < size) {
      appendFileSync(part, Buffer.alloc(chunk));
      have += chunk;
      process.stderr.write(`\r${name}: ${Math.round((have / size) * 100)}%`);
      await sleep(knobs.chunkMs ?? 150);
      if (knobs.fail === 'network' && i === names.length - 1) {
        process.stderr.write(`\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='cdn-lfs.hf.co', port=443): Read timed out.\n`);
        process.exit(1);
      }
    }
    renameSync(part, blob);
  }
  const link = join(snap, name);
  if (!existsSync(link)) symlinkSync(`../../blobs/${hash}`, link);
  if (name === 'config.json') writeIndex(names.slice(1));
  process.stderr.write(`\rFetching ${names.length} files: ${Math.round(((i + 1) / names.length) * 100)}%| ${i + 1}/${names.length}`);
}
process.stderr.write('\n');
process.stdout.write(`${snap}\n`);

/** model.safetensors.index.json, fetched with config.json (small files come first and are not counted in the
 *  progress above): the real model's total_size, a weight_map naming the shards. */
function writeIndex(shards) {
  const link = join(snap, 'model.safetensors.index.json');
  if (existsSync(link)) return;
  const hash = createHash('sha256').update(`${repo}/model.safetensors.index.json`).digest('hex');
  const index = { metadata: { total_size: TOTAL_SIZE[repo] ?? TOTAL_SIZE.default }, weight_map: Object.fromEntries(shards.map((s, j) => [`model.layers.${j}.weight`, s])) };
  writeFileSync(join(dir, 'blobs', hash), JSON.stringify(index));
  symlinkSync(`../../blobs/${hash}`, link);
}
