import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
let root: string;
const knobs = (v: object) => writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify(v));
const api = (p: string, init?: RequestInit) => k.fetch(`/api/plugins/vllm${p}`, init);
const postJson = (p: string, body: unknown) => api(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const calls = () => readFileSync(join(root, 'state/launcher.calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
  root = k.sim!.hostRoot('spark-1');
  knobs({ loadMs: 600 });
});
afterAll(async () => { await k?.stop(); });

async function swapTo(model: string) {
  const r = await postJson('/swap', { model });
  expect(r.status).toBe(202);
  return k.app.services.jobs.wait((await r.json()).id);
}

describe('vLLM catalog', () => {
  it('lists the built-in catalog with state and kind', async () => {
    const r = await (await api('/models')).json();
    expect(r.models.map((m: { id: string }) => m.id)).toContain('qwen3-4b-instruct');
    expect(r.models.find((m: { id: string }) => m.id === 'qwen3-4b-instruct')).toMatchObject({ kind: 'hf', state: 'stopped', source: 'builtin' });
  });

  it('refuses invalid entries with field errors before anything is persisted', async () => {
    const bad: Array<[object, string]> = [
      [{ id: 'x1', name: 'x', servedName: 'x' }, 'repo'],
      [{ id: 'x2', name: 'x', servedName: 'x', repo: 'a/b', localPath: '/models/a' }, 'repo'],
      [{ id: 'x3', name: 'x', servedName: 'x', localPath: 'relative/path' }, 'localPath'],
      [{ id: 'x4', name: 'x', servedName: 'x', localPath: '/models/../etc' }, 'localPath'],
      [{ id: 'x5', name: 'x', servedName: 'x', localPath: '/models/a b' }, 'localPath'],
      [{ id: 'x6', name: 'x', servedName: 'x', localPath: '/models/$(id)' }, 'localPath'],
      [{ id: 'x7', name: 'x', servedName: 'x', localPath: '/models/a', chatTemplate: '/etc/passwd' }, 'chatTemplate'],
      [{ id: 'x8', name: 'x', servedName: 'x', repo: 'a/b', args: ['--max-model-len', '1; rm -rf /'] }, 'args.1'],
      [{ id: 'x9', name: 'x', servedName: 'x', repo: 'a/b', args: ['--chat-template', '/tmp/t.jinja'] }, 'args'],
      [{ id: 'Bad Id', name: 'x', servedName: 'x', repo: 'a/b' }, 'id'],
    ];
    for (const [body, field] of bad) {
      const r = await postJson('/models', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(existsSync(join(k.dataDir, 'plugins-data/vllm/models.json'))).toBe(false);
  });

  it('serves the catalog at /api/models too (add, validate, remove) and says in plain words that no model runs', async () => {
    const json = { 'content-type': 'application/json' };
    const bad = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id: 'short', name: 'S', servedName: 's', localPath: 'relative/dir' }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { field: string }) => e.field)).toContain('localPath');
    const ok = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id: 'short', name: 'Short path', servedName: 's', repo: 'org/short' }) });
    expect(ok.status).toBe(201);
    expect((await (await api('/models')).json()).models.map((m: { id: string }) => m.id)).toContain('short');
    expect((await k.fetch('/api/models/short', { method: 'DELETE' })).status).toBe(200);
    expect((await (await k.fetch('/api/models')).json()).models.map((m: { id: string }) => m.id)).not.toContain('short');
    const health = await (await k.fetch('/api/plugins/vllm/health')).json();
    expect((await (await k.fetch('/api/swap')).json()).active).toBeFalsy(); // nothing swapped yet in this file
    expect(health.checks[0]).toMatchObject({ status: 'down', detail: expect.stringMatching(/no model is running/) });
  });

  it('estimates before launch whether each model fits, from its files and config.json on the Spark and its MemTotal', async () => {
    // The simulated Spark reports a GB10's MemTotal (sim/fakeroot/lib/meminfo.sh), not this machine's.
    const memTotal = 127_601_152 * 1024;
    expect(memTotal).not.toBe(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024);
    expect((await postJson('/models', { id: 'no-size', name: 'No size', servedName: 'no-size', repo: 'org/no-size' })).status).toBe(201);
    const all = await (await api('/fit')).json();
    expect(all.memTotalBytes).toBe(memTotal);
    const byId = Object.fromEntries(all.models.map((m: { id: string }) => [m.id, m]));
    // Qwen3 4B (seeded with its real attention shape): 36 layers × 8 KV heads × 128 × 2 (K,V) × 2 bytes per token.
    expect(byId['qwen3-4b-instruct']).toMatchObject({ verdict: 'fits', kvBytesPerToken: 36 * 8 * 128 * 2 * 2, contextTokens: 32768, gpuMemoryUtilization: 0.5 });
    // Not downloaded: the catalog's declared size is all there is, and without config.json there is no verdict.
    expect(byId['gpt-oss-120b']).toMatchObject({ verdict: 'unknown', onSpark: false, weightsBytes: 65.2e9, weightsSource: 'catalog' });
    expect(byId['no-size']).toMatchObject({ verdict: 'unknown', onSpark: false, weightsBytes: null, weightsSource: null });
    expect((await api('/models/no-size', { method: 'DELETE' })).status).toBe(200);
    // A local model whose context needs 1.3× one Spark's share: two Sparks would hold it, one does not.
    const dir = join(root, 'models/long-context');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ num_hidden_layers: 64, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 10_000_000, torch_dtype: 'bfloat16' }));
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    const perToken = 64 * 8 * 128 * 2 * 2;
    const tokens = (share: number) => String(Math.ceil((memTotal * 0.9 * share) / perToken));
    expect((await postJson('/models', { id: 'long-context', name: 'Long context', servedName: 'long', localPath: dir, args: ['--max-model-len', tokens(1.3)] })).status).toBe(201);
    const one = await (await k.fetch('/api/models/long-context/fit')).json();
    expect(one).toMatchObject({ id: 'long-context', verdict: 'needs-more-sparks', sparksNeeded: 2, kvBytesPerToken: perToken, weightsBytes: 1, weightsSource: 'files' });
    expect(one.summary).toMatch(/^Needs 2 Sparks/);
    expect((await api('/models/long-context', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Long context', servedName: 'long', localPath: dir, args: ['--max-model-len', tokens(3)] }) })).status).toBe(200);
    expect((await (await api('/models/long-context/fit')).json()).verdict).toBe('too-large');
    expect((await api('/models/long-context', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/models/nope/fit')).status).toBe(404);
    expect((await api('/models/Bad%20Id/fit')).status).toBe(400);
  });

  it('skips an invalid stored override with a warning and loads the rest', async () => {
    const lines: string[] = [];
    const kk = await createTestKernel({ plugins: ['vllm'], simulate: false, logLevel: 'warn', logSink: (l) => lines.push(l) });
    try {
      mkdirSync(join(kk.dataDir, 'plugins-data/vllm'), { recursive: true });
      writeFileSync(join(kk.dataDir, 'plugins-data/vllm/models.json'), JSON.stringify([{ id: 'good', name: 'Good', servedName: 'good', repo: 'org/good' }, { id: 'evil', name: 'Evil', servedName: 'e', localPath: '/x;reboot' }]));
      await kk.fetch('/api/plugins/vllm/restart', { method: 'POST' });
      const ids = (await (await kk.fetch('/api/plugins/vllm/models')).json()).models.map((m: { id: string }) => m.id);
      expect(ids).toContain('good');
      expect(ids).not.toContain('evil');
      expect(lines.some((l) => l.includes('skipping invalid catalog entry') && l.includes('localPath'))).toBe(true);
    } finally {
      await kk.stop();
    }
  });
});

describe('vLLM swap against the simulated Spark 1', () => {
  it('swaps to an HF model through every phase and serves it through the OpenAI client (stream and not)', async () => {
    const job = await swapTo('qwen3-4b-instruct');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.phase).toBe('active');
    expect(job.logTail.join('\n')).toContain('Application startup complete');
    // The fit estimate is logged in preflight (advisory), so an out-of-memory failure has its likely cause beside it.
    expect(job.logTail.join('\n')).toMatch(/estimate: Fits on one Spark: .* KV cache for 32,768 tokens 4\.5 GiB/);
    const last = calls().at(-1);
    expect(last.argv.slice(0, 8)).toEqual(['--solo', '-d', '-t', 'vllm-node', '--name', 'vllm_node', 'exec', 'vllm']);
    expect(last.argv).toContain('Qwen/Qwen3-4B-Instruct-2507');
    expect(last.extra).toBe('-e HF_HUB_OFFLINE=1');

    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const models = await client.models.list();
    // Every catalog model is listed (a request naming one loads it); only the swapped-in one is serving.
    expect(models.data.filter((m) => (m as unknown as { state: string }).state === 'serving').map((m) => m.id)).toEqual(['qwen3-4b']);
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['qwen3-4b', 'gpt-oss-20b', 'gpt-oss-120b', 'qwen3-coder-30b']));
    const c = await client.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'ping' }], max_tokens: 5 });
    expect(c.choices[0].message.content).toContain('Hello from qwen3-4b');
    const stream = await client.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'count to three' }], max_tokens: 6, stream: true });
    let text = '';
    let chunks = 0;
    for await (const ch of stream) { text += ch.choices[0]?.delta?.content ?? ''; chunks++; }
    expect(chunks).toBeGreaterThanOrEqual(6);
    expect(text.split(' ')).toHaveLength(6);
    // Errors keep OpenAI's envelope.
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
  });

  it('aborting a streamed request aborts it upstream', async () => {
    knobs({ loadMs: 600, tokenDelayMs: 100 });
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'long' }], max_tokens: 50, stream: true }, { signal: ac.signal });
    let n = 0;
    try { for await (const _ of stream) { if (++n === 2) ac.abort(); } } catch { /* the client reports the abort */ }
    expect(n).toBeLessThan(10);
    const log = join(root, 'state/containers/vllm_node.log');
    const end = Date.now() + 3000;
    while (!readFileSync(log, 'utf8').includes('aborted by the client') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(log, 'utf8')).toContain('aborted by the client');
    knobs({ loadMs: 600 });
  });

  it('lets a running chat finish before the swap stops the model, then records the measured load time and vLLM version', async () => {
    knobs({ loadMs: 600, tokenDelayMs: 60 });
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    // The fake model echoes the prompt: 30 words at 60 ms a token keep the stream open for about 2 s.
    const prompt = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const stream = await client.chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: prompt }], max_tokens: 64, stream: true });
    const reading = (async () => { let t = ''; let finish = ''; for await (const ch of stream) { t += ch.choices[0]?.delta?.content ?? ''; finish ||= ch.choices[0]?.finish_reason ?? ''; } return { t, finish }; })();
    await new Promise((r) => setTimeout(r, 150));
    const job = await swapTo('qwen3-4b-instruct');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    // The chat was not cut: it ran to its own end although the swap started while it streamed.
    const chat = await reading;
    expect(chat.finish).toBe('stop');
    expect(chat.t).toContain('w29');
    expect(job.logTail.join('\n')).toMatch(/waiting up to 30 s for 1 request\(s\) in flight[\s\S]*requests in flight finished[\s\S]*previous model stopped/);
    const listed = (await (await api('/models')).json()).models.find((m: { id: string }) => m.id === 'qwen3-4b-instruct');
    expect(listed.lastLoadSeconds).toEqual(expect.any(Number));
    expect((await (await api('/swap')).json()).active).toMatchObject({ modelId: 'qwen3-4b-instruct', vllmVersion: '0.12.0' });
    knobs({ loadMs: 600 });
  });

  it('refuses a second swap while one runs (409) and answers /v1 with 503 + Retry-After meanwhile; cancel works', async () => {
    knobs({ loadMs: 60_000 });
    const first = await (await postJson('/swap', { model: 'gpt-oss-20b' })).json();
    const second = await postJson('/swap', { model: 'qwen3-4b-instruct' });
    expect(second.status).toBe(409);
    expect((await second.json()).code).toBe('VLLM_SWAP_IN_PROGRESS');
    const busy = await k.fetch('/v1/models');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('30');
    expect((await busy.json()).error.code).toBe('VLLM_SWAP_RUNNING');
    // Let it reach the readiness phase, then cancel.
    const end = Date.now() + 15_000;
    while (!['process', 'health'].includes((await (await api('/swap')).json()).job?.phase) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect((await k.fetch('/api/swap/cancel', { method: 'POST' })).status).toBe(200);
    const done = await k.app.services.jobs.wait(first.id);
    expect(done.state).toBe('cancelled');
    const st = JSON.parse(readFileSync(join(root, 'state/containers/vllm_node.json'), 'utf8'));
    expect(st.State.Running).toBe(false);
    knobs({ loadMs: 600 });
  });

  for (const [fail, code] of [['oom', 'VLLM_OUT_OF_MEMORY'], ['free-memory', 'VLLM_FREE_MEMORY'], ['path', 'VLLM_PATH_NOT_VISIBLE'], ['gated', 'VLLM_GATED_REPO'], ['port', 'VLLM_PORT_IN_USE']] as const) {
    it(`reports the ${fail} failure signature in plain words with its phase`, async () => {
      knobs({ loadMs: 300, fail });
      const job = await swapTo('qwen3-4b-instruct');
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe(code);
      expect(['process', 'health']).toContain(job.error?.phase);
      knobs({ loadMs: 600 });
    });
  }

  it('rolls back to the previous model when asked and the new one fails; never without being asked', async () => {
    knobs({ loadMs: 300 });
    expect((await swapTo('qwen3-4b-instruct')).state).toBe('succeeded');
    knobs({ loadMs: 300, fail: 'oom', failModel: 'gpt-oss-20b' });
    const events: Array<{ type: string; data: { jobId?: string } }> = [];
    const off = k.app.services.events.on('vllm.swap.', (e) => events.push(e as never));
    try {
      // Default (rollbackOnFailure off): a failed swap leaves nothing running and starts nothing else.
      const plain = await swapTo('gpt-oss-20b');
      expect(plain).toMatchObject({ state: 'failed', error: { code: 'VLLM_OUT_OF_MEMORY' } });
      expect(events.some((e) => e.type === 'vllm.swap.rollback')).toBe(false);
      expect((await (await api('/swap')).json()).running).toBe(false);
      expect((await swapTo('qwen3-4b-instruct')).state).toBe('succeeded');
      const r = await postJson('/swap', { model: 'gpt-oss-20b', rollback: true });
      expect(r.status).toBe(202);
      const failed = await k.app.services.jobs.wait((await r.json()).id);
      expect(failed.state).toBe('failed');
      const end = Date.now() + 10_000;
      while (!events.some((e) => e.type === 'vllm.swap.rollback') && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
      const back = events.find((e) => e.type === 'vllm.swap.rollback')!.data.jobId!;
      const done = await k.app.services.jobs.wait(back);
      expect(done, JSON.stringify(done.error)).toMatchObject({ state: 'succeeded', title: 'Roll back to Qwen3 4B Instruct 2507' });
      expect((await (await api('/swap')).json()).active).toMatchObject({ modelId: 'qwen3-4b-instruct' });
      expect((await postJson('/swap', { model: 'gpt-oss-20b', rollback: 'yes' })).status).toBe(400);
    } finally {
      off();
      knobs({ loadMs: 600 });
    }
  }, 60_000);

  it('cancelling while the launcher is still starting the container stops that container too', async () => {
    writeFileSync(join(root, 'state/launcher-delay'), '3');
    try {
      const job = await (await postJson('/swap', { model: 'gpt-oss-20b' })).json();
      const end = Date.now() + 15_000;
      while ((await (await api('/swap')).json()).job?.phase !== 'launch' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500)); // the container now runs; the launcher has not returned yet
      expect((await k.fetch('/api/swap/cancel', { method: 'POST' })).status).toBe(200);
      const done = await k.app.services.jobs.wait(job.id);
      expect(done).toMatchObject({ state: 'cancelled', phase: 'launch' });
      const gone = Date.now() + 10_000;
      const running = () => { try { return JSON.parse(readFileSync(join(root, 'state/containers/vllm_node.json'), 'utf8')).State.Running; } catch { return false; } };
      while (running() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(running()).toBe(false);
    } finally {
      rmSync(join(root, 'state/launcher-delay'), { force: true });
    }
  }, 40_000);

  it('launches a local-path model bind-mounted read-only at the same path, with hostile values arriving as one argument', async () => {
    const dir = join(root, 'models/my-finetune');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    writeFileSync(join(dir, 'chat.jinja'), '{{ messages }}');
    const add = await postJson('/models', { id: 'my-finetune', name: 'My fine-tune', servedName: 'mine', localPath: dir, chatTemplate: join(dir, 'chat.jinja'), args: ['--max-model-len', '4096', '--x=a,b:c'], expectedLoadMinutes: 0.1 });
    expect(add.status).toBe(201);
    const listed = (await (await api('/models')).json()).models.find((m: { id: string }) => m.id === 'my-finetune');
    expect(listed).toMatchObject({ kind: 'local', source: 'user' });
    const job = await swapTo('my-finetune');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const last = calls().at(-1);
    expect(last.extra).toBe(`-e HF_HUB_OFFLINE=1 -v ${dir}:${dir}:ro`);
    const serve = last.argv.slice(last.argv.indexOf('vllm'));
    expect(serve).toEqual(['vllm', 'serve', dir, '--host', '0.0.0.0', '--port', String(k.sim!.servicePorts.vllm.port), '--served-model-name', 'mine', '--chat-template', join(dir, 'chat.jinja'), '--max-model-len', '4096', '--x=a,b:c']);
    const container = JSON.parse(readFileSync(join(root, 'state/containers/vllm_node.json'), 'utf8'));
    expect(container.Args.join(' ')).toContain(`-v ${dir}:${dir}:ro`);
    // A missing directory fails in preflight, before anything is stopped.
    await postJson('/models', { id: 'ghost', name: 'Ghost', servedName: 'ghost', localPath: join(root, 'models/none') });
    const ghost = await swapTo('ghost');
    expect(ghost.error).toMatchObject({ code: 'VLLM_PREFLIGHT', phase: 'preflight' });
    // Tensor parallel 3 needs three Sparks (one GPU each) and two are configured: refused in plain words before
    // anything is stopped (launches across two Sparks: multi-node.test.ts).
    await postJson('/models', { id: 'three-node', name: 'Three node', servedName: 'three', localPath: dir, tensorParallel: 3 });
    const launchesBefore = calls().length;
    const threeNode = await swapTo('three-node');
    expect(threeNode.error).toMatchObject({ code: 'VLLM_MULTI_NODE', phase: 'preflight' });
    expect(threeNode.error?.message).toMatch(/tensor parallel 3, which needs 3 Sparks .*2 are configured/);
    expect(calls().length).toBe(launchesBefore);
    expect((await api('/models/three-node', { method: 'DELETE' })).status).toBe(200);
    expect((await (await api('/swap')).json()).active.modelId).toBe('my-finetune');
    // An import that would replace the active model away is refused, and nothing is stored.
    const before = readFileSync(join(k.dataDir, 'plugins-data/vllm/models.json'), 'utf8');
    const wipe = await postJson('/models/import', { models: [], mode: 'replace' });
    expect(wipe.status).toBe(409);
    expect((await wipe.json()).code).toBe('VLLM_MODEL_IN_USE');
    expect(readFileSync(join(k.dataDir, 'plugins-data/vllm/models.json'), 'utf8')).toBe(before);
  });

  it('refuses to delete the cache of the active model, of a local model, and deletes an HF cache otherwise', async () => {
    expect((await api('/models/my-finetune/cache', { method: 'DELETE' })).status).toBe(409);
    const del = await api('/models/gpt-oss-20b/cache', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await del.json()).freedBytes).toBeGreaterThan(1024 * 1024);
    expect(existsSync(join(root, '.cache/huggingface/hub/models--openai--gpt-oss-20b'))).toBe(false);
    expect((await api('/models/gpt-oss-20b/cache', { method: 'DELETE' })).status).toBe(404);
    const disk = await (await api('/disk')).json();
    expect(disk.freeBytes).toBeGreaterThan(0);
    expect(disk.models.find((m: { id: string }) => m.id === 'qwen3-4b-instruct').sizeBytes).toBeGreaterThan(1024 * 1024);
  });

  it('shows live metrics of the served model', async () => {
    const m = await (await api('/metrics')).json();
    expect(m).toMatchObject({ running: 0, waiting: 0 });
    expect(m.kvCachePct).toBeGreaterThanOrEqual(0);
  });
});

describe('vLLM model downloads', () => {
  const hfKnobs = (v: object) => writeFileSync(join(root, 'state/hf-sim.json'), JSON.stringify(v));
  const hub = () => join(root, '.cache/huggingface/hub/models--openai--gpt-oss-120b');
  const download = async (id: string) => k.fetch(`/api/models/${id}/download`, { method: 'POST' });
  const hfRunning = () => (k.app.sim!.cluster as unknown as { server(id: string): { processes(): Array<{ command: string }> } }).server('spark-1').processes().filter((p) => p.command.includes('download'));

  it('refuses a local model, an unknown id and a swap to a model that is not downloaded yet', async () => {
    expect((await download('no-such-model')).status).toBe(404);
    const dir = join(root, 'models/dl-local');
    mkdirSync(dir, { recursive: true });
    expect((await postJson('/models', { id: 'dl-local', name: 'L', servedName: 'l', localPath: dir })).status).toBe(201);
    const local = await download('dl-local');
    expect(local.status).toBe(409);
    expect((await local.json()).code).toBe('VLLM_LOCAL_MODEL');
    const job = await swapTo('gpt-oss-120b');
    expect(job).toMatchObject({ state: 'failed', error: { code: 'VLLM_PREFLIGHT', phase: 'preflight', message: expect.stringMatching(/not in the Hugging Face cache on spark-1; press Download/) } });
  });

  it('a gated repo fails with what to do, in plain words', async () => {
    hfKnobs({ fail: 'gated' });
    const job = await k.app.services.jobs.wait((await (await download('gpt-oss-120b')).json()).id);
    expect(job).toMatchObject({ state: 'failed', phase: 'download', error: { code: 'VLLM_DOWNLOAD_GATED', message: expect.stringMatching(/gated.*accept its licence/) } });
  });

  it('cancelling stops the remote download; the next one resumes and the model then swaps in', async () => {
    hfKnobs({ files: 4, chunkMs: 400 });
    const first = await (await download('gpt-oss-120b')).json();
    expect((await download('gpt-oss-120b')).status).toBe(409); // one download per model
    const end = Date.now() + 10_000;
    while (!existsSync(join(hub(), 'blobs')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 600));
    await k.fetch(`/api/jobs/${first.id}/cancel`, { method: 'POST' });
    expect((await k.app.services.jobs.wait(first.id)).state).toBe('cancelled');
    const gone = Date.now() + 5000;
    while (hfRunning().length && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(hfRunning()).toEqual([]);
    // What a real interrupted download leaves: a partial blob, which the swap refuses and the next download resumes.
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(hub(), 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(true);
    expect((await swapTo('gpt-oss-120b')).error?.message).toMatch(/only partly downloaded/);
    hfKnobs({ files: 4, chunkMs: 20 });
    const second = await k.app.services.jobs.wait((await (await download('gpt-oss-120b')).json()).id);
    expect(second.state, JSON.stringify(second.error)).toBe('succeeded');
    expect(second.progress).toBe(1);
    expect(second.logTail.join('\n')).toMatch(/downloading openai\/gpt-oss-120b[\s\S]*4\/4 files[\s\S]*downloaded: the model can be swapped in now/);
    const sizes = (await (await api('/disk')).json()).models.find((m: { id: string }) => m.id === 'gpt-oss-120b');
    expect(sizes.sizeBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect((await swapTo('gpt-oss-120b')).state).toBe('succeeded');
  }, 60_000);

  it('sizes the simulated models as the real ones (from their safetensors index), not by their tiny files', async () => {
    const GB = 1e9;
    const fit = async (id: string) => (await api(`/models/${id}/fit`)).json();
    const qwen = await fit('qwen3-4b-instruct'); // seeded: 3 MiB of files, an index saying ~8 GB (4 B parameters, bf16)
    expect(qwen).toMatchObject({ onSpark: true, weightsSource: 'safetensors-index', verdict: 'fits' });
    expect(qwen.weightsBytes).toBeGreaterThan(7 * GB);
    expect(qwen.weightsBytes).toBeLessThan(9 * GB);
    const big = await fit('gpt-oss-120b'); // downloaded above: 3 MiB of shards, an index saying ~65 GB
    expect(big).toMatchObject({ onSpark: true, weightsSource: 'safetensors-index' });
    expect(big.weightsBytes).toBeGreaterThan(60 * GB);
    expect(big.weightsBytes).toBeLessThan(70 * GB);
    // ~61 GiB of weights, 9 GiB of KV cache for 131,072 tokens and 2 GiB working memory fit a GB10's 0.85 × 121.7 GiB.
    expect(big.verdict).toBe('fits');
    expect(big.summary).toMatch(/^Fits on one Spark: 7\d\.\d GiB of 103\.4 GiB per Spark \(weights 60\.8 GiB from the safetensors index, KV cache for 131,072 tokens 9\.0 GiB\)/);
  });
});

describe('vLLM model lost without a swap', () => {
  it('notices the served container vanished, reports it in plain words and an event, and does not restart it', async () => {
    expect((await swapTo('qwen3-4b-instruct')).state).toBe('succeeded');
    const events: string[] = [];
    const off = k.app.services.events.on('vllm.model.', (e) => events.push(e.type));
    // The container dies under us (OOM kill, docker rm by hand): the simulator's docker state loses it.
    rmSync(join(root, 'state/containers/vllm_node.json'));
    const launchesBefore = calls().length;
    const entry = await k.app.services.health.runNow('vllm', 'vllm');
    expect(entry).toMatchObject({ status: 'down', detail: expect.stringMatching(/qwen3-4b stopped without a swap \(container absent\).*not restarted automatically/) });
    const s = await (await api('/swap')).json();
    expect(s.active).toBeNull();
    expect(s.lost).toMatchObject({ modelId: 'qwen3-4b-instruct', container: 'absent' });
    expect(events).toEqual(['vllm.model.lost']);
    // A second failing check neither re-announces nor relaunches.
    await k.app.services.health.runNow('vllm', 'vllm');
    expect(events).toEqual(['vllm.model.lost']);
    expect(calls().length).toBe(launchesBefore);
    off();
  });
});

describe('vLLM adopts a model it did not start', () => {
  it('takes over the model the Spark already serves at the first start, then swaps away from it as usual', async () => {
    const kk = await createTestKernel({ plugins: ['vllm'], simPreload: true, config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    try {
      const events: string[] = [];
      const off = kk.app.services.events.on('vllm.model.', (e) => events.push(e.type));
      const entry = await kk.app.services.health.runNow('vllm', 'vllm');
      expect(entry).toMatchObject({ status: 'up', detail: 'qwen3-4b' });
      const s = await (await kk.fetch('/api/swap')).json();
      expect(s.active).toMatchObject({ modelId: 'qwen3-4b-instruct', servedName: 'qwen3-4b', vllmVersion: '0.12.0' });
      expect(events).toEqual(['vllm.model.adopted']);
      const listed = (await (await kk.fetch('/api/models')).json()).models.find((m: { id: string }) => m.id === 'qwen3-4b-instruct');
      expect(listed.state).toBe('active');
      const chat = await new OpenAI({ baseURL: `${kk.url}/v1`, apiKey: 'unused' }).chat.completions.create({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
      expect(chat.choices[0].message.content).toContain('qwen3-4b');
      await kk.app.services.health.runNow('vllm', 'vllm'); // adopting happens once
      expect(events).toEqual(['vllm.model.adopted']);
      writeFileSync(join(kk.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
      const job = await kk.app.services.jobs.wait((await (await kk.fetch('/api/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-oss-20b"}' })).json()).id);
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.logTail.join('\n')).toContain('previous model stopped; container gone');
      off();
    } finally {
      await kk.stop();
    }
  }, 60_000);
});

describe('vLLM swap across a restart of Spark Control', () => {
  it('re-attaches to a swap that was loading and reports one that cannot continue', async () => {
    const kk = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
    const dataDir = kk.dataDir;
    const r1 = kk.sim!.hostRoot('spark-1');
    writeFileSync(join(r1, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 2500 }));
    const started = await (await kk.fetch('/api/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"qwen3-4b-instruct"}' })).json();
    const end = Date.now() + 8000;
    while (!['process', 'health', 'models'].includes((await (await kk.fetch('/api/swap')).json()).job?.phase) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await kk.stop({ keepData: true });
    const persisted = JSON.parse(readFileSync(join(dataDir, 'plugins-data/vllm/swap.json'), 'utf8')).data; // the store's { version, data }
    expect(persisted.job).toMatchObject({ id: started.id, state: 'running' });
    // Spark Control comes back: the container kept loading; the swap is followed to the end.
    const k2 = await createTestKernel({ plugins: ['vllm'], dataDir, config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    try {
      const end2 = Date.now() + 15_000;
      let s = await (await k2.fetch('/api/swap')).json();
      while (!s.active && Date.now() < end2) { await new Promise((r) => setTimeout(r, 100)); s = await (await k2.fetch('/api/swap')).json(); }
      expect(s.active).toMatchObject({ modelId: 'qwen3-4b-instruct', servedName: 'qwen3-4b' });
      expect(s.job.logTail.join('\n')).toContain('re-attached');
    } finally {
      await k2.stop({ keepData: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('vLLM swap events', () => {
  it('posts vllm.swap.* events to configured webhook URLs (with a timeout; a dead hook does not stop the swap)', async () => {
    const { createServer } = await import('node:http');
    const got: Array<{ event: string; modelId?: string }> = [];
    const hook = createServer((req, res) => { let s = ''; req.on('data', (d) => (s += d)).on('end', () => { got.push(JSON.parse(s)); res.end('ok'); }); });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/swap-hook`;
    const kk = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, webhooks: [url, 'http://127.0.0.1:9/dead'] } } } });
    try {
      writeFileSync(join(kk.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
      const job = await (await kk.fetch('/api/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"qwen3-4b-instruct"}' })).json();
      expect((await kk.app.services.jobs.wait(job.id)).state).toBe('succeeded');
      const end = Date.now() + 3000;
      while (!got.some((g) => g.event === 'vllm.swap.active') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const events = got.map((g) => g.event);
      expect(events[0]).toBe('vllm.swap.started');
      expect(events).toContain('vllm.swap.phase');
      expect(events.at(-1)).toBe('vllm.swap.active');
      expect(got.at(-1)!.modelId).toBe('qwen3-4b-instruct');
      const bad = await kk.fetch('/api/config/plugins/vllm', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhooks: ['file:///etc/passwd'] }) });
      expect(bad.status).toBe(400);
    } finally {
      await kk.stop();
      hook.close();
    }
  });
});
