import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Models sharing the Sparks (issue 22 §4): within a memory budget, each in its own container and port, the least
 *  recently used making room (sleep, then stop), pinned ones never. */
let k: TestKernel;
let root: string;
const GB = 1e9;
const base = { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, minResidencySec: 0, drainTimeoutSec: 2, loadingCommentSec: 1, maxResident: 2, memoryBudgetGB: 60 };
const json = { 'content-type': 'application/json' };
const knobs = (v: object) => writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify(v));
const setConfig = (v: object) => k.fetch('/api/config/plugins/vllm', { method: 'PUT', headers: json, body: JSON.stringify({ ...base, ...v }) });
const launches = () => (existsSync(join(root, 'state/launcher.calls')) ? readFileSync(join(root, 'state/launcher.calls'), 'utf8') : '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[] }).filter((c) => c.argv.includes('exec'));
const argAfter = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
interface Residency { shared: boolean; sparks: Array<{ hostId: string; budgetBytes: number; freeBytes: number; models: Array<{ slot: number; modelId: string; container: string; asleep: boolean; bytes: number; source: string }> }>; slots: Array<{ slot: number; container: string; modelId: string | null; busy: boolean }> }
const residency = async () => (await (await k.fetch('/api/plugins/vllm/residency')).json()) as Residency;
const resident = async () => (await residency()).slots.filter((s) => s.modelId).map((s) => s.modelId).sort();
const chat = (model: string) => k.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }) });
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) { await new Promise((r) => setTimeout(r, 50)); v = await f(); }
  return v;
}
const idle = () => until(residency, (r) => r.slots.every((s) => !s.busy));
async function addModel(entry: object) {
  const r = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Shared model', repo: 'Qwen/Qwen3-4B-Instruct-2507', args: ['--max-model-len', '4096'], expectedLoadMinutes: 0.1, ...entry }) });
  expect(r.status, await r.clone().text()).toBe(201);
}
/** Stops every slot's model (an unload per slot), so each test starts from empty Sparks. */
async function emptySlots() {
  await idle();
  for (const s of (await residency()).slots.filter((x) => x.modelId)) {
    const r = await k.fetch(`/api/plugins/vllm/residency/slots/${s.slot}/stop`, { method: 'POST' });
    expect(r.status, await r.clone().text()).toBe(202);
    await idle();
  }
  expect(await resident()).toEqual([]);
}

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } } });
  root = k.sim!.hostRoot('spark-1');
  for (const id of ['co-a', 'co-b', 'co-c']) await addModel({ id, servedName: id, memoryGB: 25 });
  await addModel({ id: 'co-sleepy', servedName: 'co-sleepy', memoryGB: 25, sleep: true });
  await addModel({ id: 'co-pinned', servedName: 'co-pinned', memoryGB: 30, pinned: true });
  await addModel({ id: 'co-big', servedName: 'co-big', memoryGB: 35 });
  await addModel({ id: 'co-huge', servedName: 'co-huge', memoryGB: 70 });
}, 60_000);
afterAll(async () => { await k?.stop(); });
beforeEach(async () => { knobs({ loadMs: 500 }); expect((await setConfig({})).status).toBe(200); await emptySlots(); });

describe('models sharing a Spark', () => {
  it('two models that fit serve side by side, each in its own container and port, through the official openai client', async () => {
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const a = await client.chat.completions.create({ model: 'co-a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    const b = await client.chat.completions.create({ model: 'co-b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect([a.model, b.model]).toEqual(['co-a', 'co-b']);
    expect(await resident()).toEqual(['co-a', 'co-b']);
    // Side by side, streamed at once: each answer comes from the model it named (no swap between them).
    const before = launches().length;
    const streams = await Promise.all(['co-a', 'co-b', 'co-a', 'co-b'].map(async (model) => {
      const s = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi there' }], max_tokens: 4, stream: true });
      const names = new Set<string>();
      for await (const ch of s) names.add(ch.model);
      return { model, names: [...names] };
    }));
    for (const s of streams) expect(s.names).toEqual([s.model]);
    expect(launches().length).toBe(before);
    // Each launch had its own container, port and a memory share sized to its 25 GB (vLLM would otherwise take 90%).
    const [la, lb] = launches().slice(-2).map((l) => l.argv);
    expect([argAfter(la, '--name'), argAfter(lb, '--name')]).toEqual(['vllm_node', 'vllm_node-2']);
    expect(argAfter(la, '--port')).not.toBe(argAfter(lb, '--port'));
    const util = Number(argAfter(la, '--gpu-memory-utilization'));
    expect(util).toBeGreaterThan(0.15);
    expect(util).toBeLessThan(0.25);
    // The bar's figures: both held within the budget, each what its launch share gives it (its 25 GB, rounded up to
    // a thousandth of the Spark).
    const spark = (await residency()).sparks.find((s) => s.hostId === 'spark-1')!;
    expect(spark.budgetBytes).toBe(60 * GB);
    expect(spark.models.map((m) => [m.modelId, m.source])).toEqual([['co-a', 'launch'], ['co-b', 'launch']]);
    for (const m of spark.models) { expect(m.bytes).toBeGreaterThanOrEqual(25 * GB); expect(m.bytes).toBeLessThan(25.2 * GB); }
    expect(spark.freeBytes).toBeGreaterThan(9.6 * GB);
    expect(spark.freeBytes).toBeLessThanOrEqual(10 * GB);
    // /v1/models says both serve.
    const list = (await (await k.fetch('/v1/models')).json()) as { data: Array<{ id: string; state: string }> };
    expect(list.data.filter((m) => m.state === 'serving').map((m) => m.id).sort()).toEqual(['co-a', 'co-b']);
  }, 60_000);

  it('the history keeps each side-by-side model\'s series, scraped from its own vLLM', async () => {
    expect((await chat('co-a')).status).toBe(200);
    expect((await chat('co-b')).status).toBe(200);
    const h = k.app.services.history;
    // Points are kept at 5 s steps: the step this test started in and after it.
    const t0 = Math.floor(Date.now() / 5_000) * 5_000;
    // The scrape runs every 5 s; a kernel step after it samples every model it read (before, only slot 1's).
    const sampled = async () => {
      h.step();
      return h.range('vllm.requests_running', t0, Date.now() + 1).filter((x) => x.points.some((p) => p.t >= t0)).map((x) => x.labels.model).sort();
    };
    expect(await until(sampled, (m) => m.includes('co-a') && m.includes('co-b'), 15_000)).toEqual(['co-a', 'co-b']);
  }, 40_000);

  it('a model that does not fit stops the least recently used one and takes its slot', async () => {
    expect((await chat('co-a')).status).toBe(200);
    expect((await chat('co-b')).status).toBe(200);
    // co-a is used again: co-b is now the least recently used.
    await new Promise((r) => setTimeout(r, 20));
    expect((await chat('co-a')).status).toBe(200);
    const evicted: unknown[] = [];
    const off = k.app.services.events.on('vllm.ondemand.evicted', (e) => { evicted.push(e.data); });
    expect((await chat('co-c')).status).toBe(200);
    off();
    expect(await resident()).toEqual(['co-a', 'co-c']);
    expect(evicted).toEqual([expect.objectContaining({ modelId: 'co-b', action: 'stop', for: 'co-c' })]);
    // The owner sees it on the charts' time axis.
    const marks = k.app.services.history.marks(Date.now() - 60_000, Date.now(), 'vllm').map((m) => `${m.kind}: ${m.text}`);
    expect(marks).toContain('evict: co-b stopped to make room for co-c');
    const metrics = await (await k.fetch('/metrics')).text();
    expect(metrics).toMatch(/^spark_vllm_ondemand_evictions_total\{for="co-c",model="co-b"\} 1$/m);
    // Its container was confirmed gone before co-c started in that slot.
    const r = await residency();
    expect(r.slots.find((s) => s.modelId === 'co-c')!.container).toBe('vllm_node-2');
  }, 60_000);

  it('a model with sleep mode is put to sleep to make room, and a request wakes it', async () => {
    expect((await setConfig({ maxResident: 3 })).status).toBe(200);
    expect((await chat('co-sleepy')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect((await chat('co-a')).status).toBe(200);
    // 25 + 25 + 25 > 60: the least recently used (co-sleepy) sleeps instead of stopping; a slot was free.
    expect((await chat('co-b')).status).toBe(200);
    const r = await residency();
    const spark = r.sparks.find((s) => s.hostId === 'spark-1')!;
    expect(spark.models.find((m) => m.modelId === 'co-sleepy')).toMatchObject({ asleep: true });
    expect(spark.models.find((m) => m.modelId === 'co-sleepy')!.bytes).toBeLessThan(10 * GB);
    expect(spark.freeBytes).toBeGreaterThanOrEqual(0);
    expect(await resident()).toEqual(['co-a', 'co-b', 'co-sleepy']);
    // Woken by a request: 75 GB awake would pass the budget, so the least recently used (co-a, no sleep mode) stops.
    await new Promise((r) => setTimeout(r, 20));
    expect((await chat('co-b')).status).toBe(200);
    const woke: string[] = [];
    const off = k.app.services.events.on('vllm.ondemand.', (e) => { woke.push(`${e.type}:${(e.data as { modelId: string }).modelId}:${(e.data as { kind?: string; action?: string }).kind ?? (e.data as { action?: string }).action ?? ''}`); });
    expect((await chat('co-sleepy')).status).toBe(200);
    off();
    expect(woke).toContain('vllm.ondemand.evicted:co-a:stop');
    expect(woke).toContain('vllm.ondemand.load:co-sleepy:wake');
    expect(await resident()).toEqual(['co-b', 'co-sleepy']);
    const after = (await residency()).sparks.find((s) => s.hostId === 'spark-1')!;
    expect(after.models.every((m) => !m.asleep)).toBe(true);
    expect(after.freeBytes).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('a model launched while one served at a time counts with the 90% it took, so sharing starts by stopping it', async () => {
    expect((await setConfig({ maxResident: 1 })).status).toBe(200);
    expect((await chat('co-a')).status).toBe(200);
    expect(launches().at(-1)!.argv).not.toContain('--gpu-memory-utilization');
    expect((await setConfig({})).status).toBe(200);
    const spark = (await residency()).sparks.find((s) => s.hostId === 'spark-1')!;
    expect(spark.models).toEqual([expect.objectContaining({ modelId: 'co-a', source: 'launch' })]);
    expect(spark.models[0].bytes).toBeGreaterThan(100 * GB);
    expect((await chat('co-b')).status).toBe(200);
    expect(await resident()).toEqual(['co-b']);
    expect((await residency()).sparks[0].freeBytes).toBeGreaterThan(30 * GB);
  }, 60_000);

  it('lowering maxResident stops the models of the slots given up, and the catalog shows each slot\'s model as active', async () => {
    expect((await chat('co-a')).status).toBe(200);
    expect((await chat('co-b')).status).toBe(200);
    const cat = (await (await k.fetch('/api/plugins/vllm/models')).json()) as { models: Array<{ id: string; state: string }> };
    expect(cat.models.filter((m) => m.state === 'active').map((m) => m.id).sort()).toEqual(['co-a', 'co-b']);
    expect((await setConfig({ maxResident: 1 })).status).toBe(200);
    const gone = await until(async () => readdirSync(join(root, 'state/containers')).filter((f) => f === 'vllm_node-2.json').map((f) => JSON.parse(readFileSync(join(root, 'state/containers', f), 'utf8')) as { State: { Running: boolean }; RemoveAt?: string }).filter((c) => c.State.Running && !c.RemoveAt).length, (n) => n === 0, 15_000);
    expect(gone).toBe(0);
    expect((await residency()).slots.map((s) => s.modelId)).toEqual(['co-a']);
  }, 60_000);

  it('pinned models are never evicted: a load they block is a 409 naming them', async () => {
    expect((await chat('co-pinned')).status).toBe(200);
    const before = launches().length;
    const r = await chat('co-big');
    expect(r.status).toBe(409);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('VLLM_PINNED_IN_THE_WAY');
    expect(body.error.message).toContain('co-pinned');
    expect(launches().length).toBe(before);
    expect(await resident()).toEqual(['co-pinned']);
    // Beside it, what fits still loads.
    expect((await chat('co-a')).status).toBe(200);
    expect(await resident()).toEqual(['co-a', 'co-pinned']);
  }, 60_000);

  it('the owner\'s swap loads the model beside the others, the least recently used making room, as one job', async () => {
    expect((await chat('co-a')).status).toBe(200);
    expect((await chat('co-b')).status).toBe(200);
    const r = await k.fetch('/api/swap', { method: 'POST', headers: json, body: JSON.stringify({ model: 'co-c' }) });
    expect(r.status).toBe(202);
    const job = (await r.json()) as { id: string; kind: string; phases: string[] };
    expect(job.kind).toBe('vllm.load');
    const done = await until(async () => (await (await k.fetch(`/api/jobs/${job.id}`)).json()) as { state: string; logTail: string[]; result?: { slot: number } }, (j) => j.state !== 'running', 30_000);
    expect(done.state, done.logTail.join('\n')).toBe('succeeded');
    expect(done.logTail.join('\n')).toContain('co-a stops');
    expect(await resident()).toEqual(['co-b', 'co-c']);
    // A name outside the catalog starts nothing.
    const bad = await k.fetch('/api/swap', { method: 'POST', headers: json, body: JSON.stringify({ model: 'no-such-model' }) });
    expect(bad.status).toBe(404);
  }, 60_000);

  it('cancelling the owner\'s load beside the others cancels the slot\'s swap it waits for, and leaves nothing starting', async () => {
    knobs({ loadMs: 8000 });
    expect((await (await k.fetch('/api/swap')).json())).toMatchObject({ shared: true });
    const r = await k.fetch('/api/swap', { method: 'POST', headers: json, body: JSON.stringify({ model: 'co-a' }) });
    expect(r.status).toBe(202);
    const load = (await r.json()) as { id: string };
    const job = async (id: string) => (await (await k.fetch(`/api/jobs/${id}`)).json()) as { state: string; phase?: string; logTail: string[] };
    // Cancelled once the slot's swap runs (the load's log names it).
    const loading = await until(() => job(load.id), (j) => j.phase === 'load' && j.logTail.some((l) => /vllm\.swap job /.test(l)));
    const inner = /vllm\.swap job (\S+)/.exec(loading.logTail.join('\n'))![1];
    expect((await k.fetch(`/api/jobs/${load.id}/cancel`, { method: 'POST' })).status).toBe(200);
    const ended = await until(() => job(inner), (j) => j.state !== 'running');
    expect(ended.state).toBe('cancelled');
    expect((await until(() => job(load.id), (j) => j.state !== 'running')).state).toBe('cancelled');
    await idle();
    expect(await resident()).toEqual([]);
  }, 60_000);

  it('stopping a slot refuses a slot that is not a number or not in use, naming the field, and stops nothing', async () => {
    expect((await chat('co-a')).status).toBe(200);
    for (const [slot, status] of [['x', 400], ['0', 400], ['4', 400], ['1.5', 400], ['3', 404]] as const) {
      const r = await k.fetch(`/api/plugins/vllm/residency/slots/${slot}/stop`, { method: 'POST' });
      expect(r.status, `slot ${slot}`).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/problem\+json|json/);
      expect(JSON.stringify(await r.json())).toContain('slot');
    }
    expect(await resident()).toEqual(['co-a']);
  }, 60_000);

  it('a model larger than the whole budget is refused without evicting anything', async () => {
    expect((await chat('co-a')).status).toBe(200);
    const r = await chat('co-huge');
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('VLLM_OVER_BUDGET');
    expect(await resident()).toEqual(['co-a']);
  }, 60_000);
});

describe('a restart of Spark Control with models sharing the Spark', () => {
  it('re-adopts two resident models and a sleeping one in their slots, queues empty, no container orphaned', async () => {
    const cfg = { plugins: { vllm: { ...base, maxResident: 3, memoryBudgetGB: 90 } } };
    const r1 = await createTestKernel({ plugins: ['vllm'], config: cfg });
    const dataDir = r1.dataDir;
    const root1 = r1.sim!.hostRoot('spark-1');
    writeFileSync(join(root1, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 400 }));
    const add = (id: string, sleep: boolean) => r1.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id, name: id, servedName: id, repo: 'Qwen/Qwen3-4B-Instruct-2507', memoryGB: 25, sleep, idleTtlSec: sleep ? 1 : undefined, expectedLoadMinutes: 0.1 }) });
    for (const [id, sleep] of [['re-a', false], ['re-b', false], ['re-s', true]] as const) expect((await add(id, sleep)).status).toBe(201);
    const ask = (kk: TestKernel, model: string) => kk.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
    for (const m of ['re-s', 're-a', 're-b']) expect((await ask(r1, m)).status).toBe(200);
    // re-s sleeps after its idle second.
    const slept = await until(async () => (await (await r1.fetch('/api/plugins/vllm/residency')).json()) as Residency, (x) => x.sparks[0]?.models.some((m) => m.modelId === 're-s' && m.asleep), 15_000);
    expect(slept.sparks[0].models.find((m) => m.modelId === 're-s')?.asleep).toBe(true);
    const before = slept.slots.map((s) => [s.slot, s.container, s.modelId]);
    await r1.stop({ keepData: true });

    const r2 = await createTestKernel({ plugins: ['vllm'], dataDir });
    try {
      const after = (await (await r2.fetch('/api/plugins/vllm/residency')).json()) as Residency;
      expect(after.slots.map((s) => [s.slot, s.container, s.modelId])).toEqual(before);
      expect(after.sparks[0].models.find((m) => m.modelId === 're-s')?.asleep).toBe(true);
      const od = (await (await r2.fetch('/api/plugins/vllm/ondemand')).json()) as { models: Array<{ id: string; queued: number; state: string }> };
      expect(od.models.filter((m) => m.id.startsWith('re-')).map((m) => [m.id, m.state, m.queued]).sort()).toEqual([['re-a', 'serving', 0], ['re-b', 'serving', 0], ['re-s', 'sleeping', 0]]);
      // Each answers from its own slot without a load; the sleeping one wakes.
      const loadsBefore = launches2(r2).length;
      for (const m of ['re-a', 're-b', 're-s']) expect((await ask(r2, m)).status).toBe(200);
      expect(launches2(r2).length).toBe(loadsBefore);
      // Exactly the three containers run: nothing orphaned beside them.
      const running = readdirSync(join(r2.sim!.hostRoot('spark-1'), 'state/containers')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(r2.sim!.hostRoot('spark-1'), 'state/containers', f), 'utf8')) as { State: { Running: boolean }; RemoveAt?: string; Name?: string }).filter((c) => c.State.Running && !c.RemoveAt);
      expect(running.length).toBe(3);
    } finally {
      await r2.stop();
    }
  }, 120_000);
});

const launches2 = (kk: TestKernel) => {
  const f = join(kk.sim!.hostRoot('spark-1'), 'state/launcher.calls');
  return (existsSync(f) ? readFileSync(f, 'utf8') : '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[] }).filter((c) => c.argv.includes('exec'));
};

describe('preload with models sharing the Spark', () => {
  it('loads every preload model that fits beside the ones before it, and skips one that would evict them', async () => {
    const first = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } } });
    const dataDir = first.dataDir;
    writeFileSync(join(first.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
    for (const [id, memoryGB] of [['pre-a', 25], ['pre-b', 25], ['pre-c', 25]] as const) {
      const r = await first.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id, name: id, servedName: id, repo: 'Qwen/Qwen3-4B-Instruct-2507', memoryGB, expectedLoadMinutes: 0.1 }) });
      expect(r.status).toBe(201);
    }
    await first.stop({ keepData: true });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ plugins: { vllm: { ...base, maxResident: 3, preload: ['pre-a', 'pre-b', 'pre-c'] } } }));
    const k2 = await createTestKernel({ plugins: ['vllm'], dataDir });
    try {
      const r = await until(async () => (await (await k2.fetch('/api/plugins/vllm/residency')).json()) as Residency, (x) => x.slots.filter((s) => s.modelId).length >= 2 && x.slots.every((s) => !s.busy), 30_000);
      // 25 + 25 fit the 60 GB budget; pre-c would need one of them to stop, so it is not loaded.
      await new Promise((res) => setTimeout(res, 1500));
      const after = (await (await k2.fetch('/api/plugins/vllm/residency')).json()) as Residency;
      expect(after.slots.filter((s) => s.modelId).map((s) => s.modelId)).toEqual(['pre-a', 'pre-b']);
      expect(r.sparks[0].freeBytes).toBeGreaterThan(9.6 * GB);
    } finally {
      await k2.stop();
    }
  }, 120_000);
});
