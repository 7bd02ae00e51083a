import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

// Tensor parallel across the two simulated Sparks: the launcher on Spark 1 gets `-n` and starts the worker's
// container on Spark 2 over the (simulated) link between them; the fake vLLM on Spark 1 only becomes ready while the
// worker rank runs there, as NCCL would have it.

let k: TestKernel;
let head: string;
let worker: string;
const api = (p: string, init?: RequestInit) => k.fetch(`/api/plugins/vllm${p}`, init);
const postJson = (p: string, body: unknown) => api(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const calls = () => readFileSync(join(head, 'state/launcher.calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const container = (root: string) => {
  const f = join(root, 'state/containers/vllm_node.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
};
const QWEN = 'hub/models--Qwen--Qwen3-4B-Instruct-2507';

async function swapTo(model: string) {
  const r = await postJson('/swap', { model });
  expect(r.status).toBe(202);
  return k.app.services.jobs.wait((await r.json()).id);
}

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
  head = k.sim!.hostRoot('spark-1');
  worker = k.sim!.hostRoot('spark-2');
  writeFileSync(join(head, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 600 }));
  const add = await postJson('/models', { id: 'qwen-tp2', name: 'Qwen3 4B on two Sparks', servedName: 'qwen-tp2', repo: 'Qwen/Qwen3-4B-Instruct-2507', tensorParallel: 2, expectedLoadMinutes: 0.1 });
  expect(add.status).toBe(201);
});
afterAll(async () => { await k?.stop(); });

describe('vLLM tensor parallel across two Sparks', () => {
  it('refuses in preflight, naming the worker, when the model is not on the worker Spark; Download fetches it on both', async () => {
    const cache = join(worker, '.cache/huggingface', QWEN);
    rmSync(cache, { recursive: true });
    const before = existsSync(join(head, 'state/launcher.calls')) ? calls().length : 0;
    const job = await swapTo('qwen-tp2');
    expect(job.error).toMatchObject({ code: 'VLLM_PREFLIGHT', phase: 'preflight' });
    expect(job.error?.message).toMatch(/not in the Hugging Face cache on spark-2; press Download, which fetches it on spark-2 too/);
    expect(existsSync(join(head, 'state/launcher.calls')) ? calls().length : 0).toBe(before);
    // One job covers every Spark of the launch: downloaded on the head, then copied from it to the worker over the
    // link (rsync run by the head), so both ranks load the same revision.
    writeFileSync(join(worker, 'state/hf-sim.json'), JSON.stringify({ files: 2, chunkMs: 5 }));
    writeFileSync(join(head, 'state/hf-sim.json'), JSON.stringify({ files: 2, chunkMs: 5 }));
    const download = async () => {
      const r = await postJson('/models/qwen-tp2/download', {});
      expect(r.status).toBe(202);
      const started = await r.json();
      expect(started.meta).toMatchObject({ hosts: ['spark-1', 'spark-2'] });
      return k.app.services.jobs.wait(started.id);
    };
    const done = await download();
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.progress).toBe(1);
    const log = done.logTail.join('\n');
    expect(log).toMatch(/in the cache on spark-1[\s\S]*copying Qwen\/Qwen3-4B-Instruct-2507 from spark-1 to spark-2 over the link \(10\.203\.250\.2\)[\s\S]*in the cache on spark-2 \(copied [\d.]+ GiB over the link[\s\S]*downloaded on spark-1 and spark-2/);
    const headCache = join(head, '.cache/huggingface', QWEN);
    expect(readFileSync(join(cache, 'refs/main'), 'utf8')).toBe(readFileSync(join(headCache, 'refs/main'), 'utf8'));
    // Without ssh trust from the head to the worker the copy cannot run: said so, and the worker downloads it itself.
    rmSync(cache, { recursive: true });
    writeFileSync(join(head, 'state/rsync-sim.json'), JSON.stringify({ fail: 'auth' }));
    try {
      const fallback = await download();
      expect(fallback.state, JSON.stringify(fallback.error)).toBe('succeeded');
      expect(fallback.logTail.join('\n')).toMatch(/could not copy it to spark-2 over the link \(rsync exited with 255: spark@10\.203\.250\.2: Permission denied \(publickey\)\.\); downloading it there from Hugging Face instead[\s\S]*downloading Qwen\/Qwen3-4B-Instruct-2507 into the Hugging Face cache on spark-2/);
      expect(existsSync(join(cache, 'refs/main'))).toBe(true);
    } finally {
      rmSync(join(head, 'state/rsync-sim.json'));
    }
  }, 30_000);

  it('refuses in preflight when the head cannot ssh to the worker over the link (the launcher needs it), before stopping anything; Link Sparks sets that up', async () => {
    // Fresh Sparks: the worker has never seen the head's key, and the head does not know the worker's host key.
    const authorized = join(worker, '.ssh/authorized_keys');
    const known = join(head, '.ssh/known_hosts');
    writeFileSync(authorized, '');
    writeFileSync(known, '');
    const before = existsSync(join(head, 'state/launcher.calls')) ? calls().length : 0;
    const job = await swapTo('qwen-tp2');
    expect(job.error).toMatchObject({ code: 'VLLM_LINK_SSH', phase: 'preflight' });
    expect(job.error?.message).toMatch(/spark-1 cannot ssh to spark-2 at 10\.203\.250\.2 without a password \(Host key verification failed\.\).*press Link Sparks/);
    expect(existsSync(join(head, 'state/launcher.calls')) ? calls().length : 0).toBe(before);

    const link = await postJson('/link', {});
    expect(link.status).toBe(200);
    expect(await link.json()).toEqual({ head: { hostId: 'spark-1', keyFile: expect.stringMatching(/\.ssh\/id_ed25519$/), keyCreated: false }, sparks: [{ hostId: 'spark-2', address: '10.203.250.2', key: 'added' }] });
    // The host key the head now trusts for the link address is the one Spark Control pinned for spark-2 (which is the
    // key spark-2's sshd presents), never one taken on trust over the cable.
    const pinned = k.app.services.hostKeys.openssh('spark-2')!;
    const presented = JSON.parse(readFileSync(join(worker, '.sim_host_key'), 'utf8')).public as string;
    expect(pinned).toBe(presented.trim().split(' ').slice(0, 2).join(' '));
    expect(readFileSync(known, 'utf8').trim()).toBe(`10.203.250.2 ${pinned}`);
    const headKey = readFileSync(join(head, '.ssh/id_ed25519.pub'), 'utf8').trim();
    expect(readFileSync(authorized, 'utf8').trim()).toBe(headKey);

    // Again: nothing doubled.
    const again = await postJson('/link', {});
    expect((await again.json()).sparks[0].key).toBe('present');
    expect(readFileSync(authorized, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(known, 'utf8').trim().split('\n')).toHaveLength(1);

    // A head with no key at all gets one made (ed25519, no passphrase: the launcher's ssh has no terminal).
    rmSync(join(head, '.ssh/id_ed25519'));
    rmSync(join(head, '.ssh/id_ed25519.pub'));
    const made = await postJson('/link', {});
    const madeBody = await made.json();
    expect(made.status, JSON.stringify(madeBody)).toBe(200);
    expect(madeBody.head.keyCreated).toBe(true);
    expect(madeBody.sparks[0].key).toBe('added');
    expect(readFileSync(authorized, 'utf8')).toContain(readFileSync(join(head, '.ssh/id_ed25519.pub'), 'utf8').trim());
  });

  it('Link Sparks answers 502 naming the Spark and the shell\'s words when the key cannot be added there', async () => {
    // authorized_keys that cannot be written (here: a directory in its place).
    const authorized = join(worker, '.ssh/authorized_keys');
    const saved = readFileSync(authorized, 'utf8');
    rmSync(authorized);
    mkdirSync(authorized);
    try {
      const r = await postJson('/link', {});
      expect(r.status).toBe(502);
      const p = await r.json();
      expect(p).toMatchObject({ code: 'VLLM_LINK_AUTHORIZE', host: 'spark-2' });
      expect(p.detail).toMatch(/could not add spark-1's key to spark-2's authorized_keys: .*Is a directory/);
    } finally {
      rmSync(authorized, { recursive: true });
      writeFileSync(authorized, saved);
    }
  });

  it('launches on both Sparks with the link addresses, serves through the OpenAI client, and records both nodes', async () => {
    const job = await swapTo('qwen-tp2');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const launch = calls().at(-1);
    expect(launch.localIp).toBe('10.203.250.1');
    expect(launch.argv.slice(0, 4)).toEqual(['-n', '10.203.250.1,10.203.250.2', '--no-ray', '-d']);
    expect(launch.argv).not.toContain('--solo');
    // A start across Sparks may outlast vLLM's default 600 s engine wait: it waits as long as the swap (15 min here).
    expect(launch.argv.join(' ')).toContain('-e VLLM_ENGINE_READY_TIMEOUT_S=900 exec');
    expect(launch.argv.slice(launch.argv.indexOf('vllm'))).toEqual(expect.arrayContaining(['--tensor-parallel-size', '2']));
    // The worker's container runs rank 1 headless against the head; the head runs rank 0 and serves the API.
    const w = container(worker);
    expect(w?.State.Running).toBe(true);
    expect(w.Exec.cmd.join(' ')).toMatch(/vllm serve Qwen\/Qwen3-4B-Instruct-2507 .*--tensor-parallel-size 2 --nnodes 2 --node-rank 1 --master-addr 10\.203\.250\.1 --master-port 29501 --headless/);
    expect(container(head).Exec.cmd.join(' ')).toMatch(/--node-rank 0 --master-addr 10\.203\.250\.1/);
    expect(job.logTail.join('\n')).toMatch(/launch across 2 Sparks: spark-1 \(head, 10\.203\.250\.1\), spark-2 \(worker, 10\.203\.250\.2\)/);
    const swap = await (await api('/swap')).json();
    expect(swap.active).toMatchObject({ modelId: 'qwen-tp2', nodes: ['spark-1', 'spark-2'] });
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const r = await client.chat.completions.create({ model: 'qwen-tp2', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(r.choices[0].message.content).toMatch(/^Hello from qwen-tp2/);
  }, 40_000);

  it('a tensor-parallel model with sleep mode sleeps and wakes on both Sparks: each rank gives its memory back and takes it again', async () => {
    const add = await postJson('/models', { id: 'qwen-tp2-nap', name: 'Qwen3 4B on two Sparks, sleeping', servedName: 'qwen-tp2-nap', repo: 'Qwen/Qwen3-4B-Instruct-2507', tensorParallel: 2, sleep: true, expectedLoadMinutes: 0.1 });
    expect(add.status).toBe(201);
    const held = (root: string) => { const f = join(root, 'state/held-memory/vllm_node'); return existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0; };
    const settle = async (ok: () => boolean) => { for (let i = 0; i < 60 && !ok(); i++) await new Promise((r) => setTimeout(r, 100)); };
    const GIB = 1024 * 1024;
    try {
      expect((await swapTo('qwen-tp2-nap')).state).toBe('succeeded');
      // vLLM's default 90% of a GB10's memory on each Spark, once loaded.
      const full = Math.round(127_601_152 * 0.9);
      await settle(() => held(head) === full && held(worker) === full);
      expect([held(head), held(worker)]).toEqual([full, full]);
      // It is used, then its idle timer (1 s) puts it to sleep through the swap's side job.
      const jobs = k.app.services.jobs;
      const slept = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen-tp2-nap', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
      expect(slept.status).toBe(200);
      await setIdle(1);
      await settle(() => held(head) < 3 * GIB && held(worker) < 3 * GIB);
      expect([held(head), held(worker)].every((kib) => kib < 3 * GIB), `held KiB head ${held(head)}, worker ${held(worker)}`).toBe(true);
      expect(jobs.list({ kind: 'vllm.sleep' }).at(-1)?.state).toBe('succeeded');
      // A request wakes it: both ranks hold their share again and it answers.
      await setIdle(undefined);
      const woke = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen-tp2-nap', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
      expect(woke.status).toBe(200);
      await settle(() => held(head) === full && held(worker) === full);
      expect([held(head), held(worker)]).toEqual([full, full]);
    } finally {
      await setIdle(undefined);
      expect((await swapTo('qwen-tp2')).state).toBe('succeeded');
    }
    async function setIdle(idleTtlSec: number | undefined) {
      const r = await api('/models/qwen-tp2-nap', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Qwen3 4B on two Sparks, sleeping', servedName: 'qwen-tp2-nap', repo: 'Qwen/Qwen3-4B-Instruct-2507', tensorParallel: 2, sleep: true, expectedLoadMinutes: 0.1, ...(idleTtlSec ? { idleTtlSec } : {}) }) });
      expect(r.status).toBe(200);
    }
  }, 60_000);

  it('health says degraded, naming spark-2, while the head still answers after the worker rank died', async () => {
    expect(await k.app.services.health.runNow('vllm', 'vllm')).toMatchObject({ status: 'up', detail: 'qwen-tp2' });
    writeFileSync(join(head, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 600, ncclTimeoutMs: 60_000 }));
    const w = container(worker);
    const f = join(worker, 'state/containers/vllm_node.json');
    writeFileSync(f, JSON.stringify({ ...w, Exec: { ...w.Exec, dead: true } }));
    try {
      const h = await k.app.services.health.runNow('vllm', 'vllm');
      expect(h).toMatchObject({ status: 'degraded' });
      expect(h?.detail).toMatch(/qwen-tp2 still answers, but on spark-2 its rank is not running/);
    } finally {
      writeFileSync(f, JSON.stringify(w));
      writeFileSync(join(head, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 600 }));
    }
    expect(await k.app.services.health.runNow('vllm', 'vllm')).toMatchObject({ status: 'up' });
  });

  it('swapping to a one-Spark model stops the worker container on Spark 2 as well', async () => {
    const job = await swapTo('qwen3-4b-instruct');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.logTail.join('\n')).toMatch(/stopping vllm_node on spark-2/);
    const w = container(worker);
    expect(!w || !w.State.Running || !!w.RemoveAt).toBe(true);
    expect(calls().at(-1).argv).toContain('--solo');
    expect((await (await api('/swap')).json()).active.nodes).toBeUndefined();
  }, 40_000);

  it('a worker rank that is gone fails the load loudly, and the failed launch is stopped on both Sparks', async () => {
    // The worker's rank dies right after it was dispatched (its disk, its memory): the head never gets rank 1.
    const job = await (async () => {
      const r = await postJson('/swap', { model: 'qwen-tp2' });
      const { id } = await r.json();
      for (let i = 0; i < 200; i++) {
        const w = container(worker);
        if (w?.Exec && !w.Exec.dead) { writeFileSync(join(worker, 'state/containers/vllm_node.json'), JSON.stringify({ ...w, Exec: { ...w.Exec, dead: true } })); break; }
        await new Promise((res) => setTimeout(res, 25));
      }
      return k.app.services.jobs.wait(id);
    })();
    expect(job.state).toBe('failed');
    // Named as the worker's failure, not as the head's NCCL timeout that would follow it.
    expect(job.error).toMatchObject({ code: 'VLLM_WORKER_DIED', phase: expect.stringMatching(/process|health/) });
    expect(job.error?.message).toMatch(/the worker rank on spark-2 is no longer running/);
    const w = container(worker);
    expect(!w || !w.State.Running || !!w.RemoveAt).toBe(true);
    const h = container(head);
    expect(!h || !h.State.Running || !!h.RemoveAt).toBe(true);
  }, 40_000);
});

describe('a tensor-parallel model found running at start', () => {
  it('is taken over with both Sparks recorded, so the next swap stops the worker container too', async () => {
    const job = await swapTo('qwen-tp2');
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    // Spark Control forgets what it started (a fresh install, a lost data dir); the Sparks keep serving.
    const dataDir = k.dataDir;
    await k.stop({ keepData: true });
    rmSync(join(dataDir, 'plugins-data/vllm/swap.json'));
    k = await createTestKernel({ dataDir, plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
    expect(await k.app.services.health.runNow('vllm', 'vllm')).toMatchObject({ status: 'up', detail: 'qwen-tp2' });
    expect((await (await api('/swap')).json()).active).toMatchObject({ modelId: 'qwen-tp2', nodes: ['spark-1', 'spark-2'] });
    const back = await swapTo('qwen3-4b-instruct');
    expect(back.state, JSON.stringify(back.error)).toBe('succeeded');
    expect(back.logTail.join('\n')).toMatch(/stopping vllm_node on spark-2/);
    const w = container(worker);
    expect(!w || !w.State.Running || !!w.RemoveAt).toBe(true);
  }, 60_000);
});

describe('link addresses for a launch across Sparks (a configured cluster)', () => {
  let kc: TestKernel;
  const putCluster = (hosts: object[]) => kc.fetch('/api/config/cluster', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hosts }) });
  // Both Sparks reached through one address (a jump host, a port forward): no usable `-n` list without link addresses.
  const spark = (id: string, extra: object = {}) => ({ id, name: id, address: '127.0.0.1', sshUser: 'spark', sshPort: 9, ...extra });

  beforeAll(async () => {
    kc = await createTestKernel({ simulate: false, plugins: ['vllm'], config: { hosts: [spark('spark-1'), spark('spark-2')] } });
    const add = await kc.fetch('/api/plugins/vllm/models', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'big', name: 'Big', servedName: 'big', repo: 'org/big', tensorParallel: 2 }) });
    expect(add.status).toBe(201);
  });
  afterAll(async () => { await kc?.stop(); });

  const swapBig = async () => {
    const r = await kc.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'big' }) });
    expect(r.status).toBe(202);
    return kc.app.services.jobs.wait((await r.json()).id);
  };

  it('refuses, before any SSH, two Sparks that would share one address, and says which setting fixes it', async () => {
    const job = await swapBig();
    expect(job.error).toMatchObject({ code: 'VLLM_NODE_ADDRESS', phase: 'preflight' });
    expect(job.error?.message).toMatch(/spark-1 and spark-2 have the same address \(127\.0\.0\.1\).*link address/);
  });

  it('validates a link address like an address (field named), stores a good one, and then plans the launch with it', async () => {
    const bad = await putCluster([spark('spark-1'), spark('spark-2', { linkAddress: '10.0.0.2;reboot' })]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { field: string }) => e.field)).toEqual(['hosts.1.linkAddress']);
    expect((await putCluster([spark('spark-1', { linkAddress: '' }), spark('spark-2', { linkAddress: '10.0.0.2' })])).status).toBe(200);
    expect((await (await kc.fetch('/api/config')).json()).hosts[1].linkAddress).toBe('10.0.0.2');
    // Past the address check the swap goes on to SSH, which fails here (nothing listens on port 9): the plan was accepted.
    const job = await swapBig();
    expect(job.error?.code).not.toBe('VLLM_NODE_ADDRESS');
    expect(job.error?.phase).toBe('preflight');
  }, 30_000);
});
