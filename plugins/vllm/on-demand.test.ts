import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** On-demand serving (issue 22): a request naming a catalog model that is not served loads it. */
let k: TestKernel;
let root: string;
const base = { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, minResidencySec: 0, drainTimeoutSec: 2, loadingCommentSec: 1 };
const knobs = (v: object) => writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify(v));
const json = { 'content-type': 'application/json' };
const launches = () => (existsSync(join(root, 'state/launcher.calls')) ? readFileSync(join(root, 'state/launcher.calls'), 'utf8') : '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[] }).filter((c) => c.argv.includes('exec'));
const chat = (model: string, extra: object = {}, init: RequestInit = {}) => k.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra }), ...init });
const swapState = async () => (await (await k.fetch('/api/swap')).json()) as { running: boolean; active: { modelId: string } | null };
const listed = async () => (await (await k.fetch('/v1/models')).json()) as { data: Array<{ id: string; state: string; catalog_id: string; queued: number }> };
const setConfig = (v: object) => k.fetch('/api/config/plugins/vllm', { method: 'PUT', headers: json, body: JSON.stringify({ ...base, ...v }) });
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) { await new Promise((r) => setTimeout(r, 50)); v = await f(); }
  return v;
}
/** A user entry on the Qwen3 4B files already in the simulated cache, with its own served name and on-demand fields. */
async function addModel(entry: object) {
  const r = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Test model', repo: 'Qwen/Qwen3-4B-Instruct-2507', args: ['--max-model-len', '4096'], expectedLoadMinutes: 0.1, ...entry }) });
  expect(r.status, await r.clone().text()).toBe(201);
}
async function settled() {
  return until(swapState, (s) => !s.running);
}

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } } });
  root = k.sim!.hostRoot('spark-1');
  await addModel({ id: 'small-a', servedName: 'small-a', aliases: ['fast', 'org/small-a'] });
  await addModel({ id: 'small-b', servedName: 'small-b' });
  await addModel({ id: 'manual-only', servedName: 'manual-only', loadOnRequest: false });
  await addModel({ id: 'bounded', servedName: 'bounded', queueMax: 2, maxWaitSec: 1 });
  await addModel({ id: 'idle-soon', servedName: 'idle-soon', idleTtlSec: 2 });
}, 60_000);
afterAll(async () => { await k?.stop(); });
beforeEach(async () => { knobs({ loadMs: 600 }); await setConfig({}); await settled(); });

describe('load on request', () => {
  it('a name outside the catalog is a 404 in OpenAI\'s envelope and starts nothing', async () => {
    const before = launches().length;
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const err = await client.chat.completions.create({ model: 'not-in-catalog', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const r = await k.fetch('/v1/completions', { method: 'POST', headers: json, body: JSON.stringify({ model: 'also/not-there', prompt: 'x' }) });
    expect(r.status).toBe(404);
    expect((await r.json()).error).toMatchObject({ code: 'model_not_found', param: 'model' });
    await new Promise((r) => setTimeout(r, 200));
    expect(launches().length).toBe(before);
    expect((await swapState()).running).toBe(false);
  });

  it('N concurrent requests naming a model by served name, id and alias share one load, then all are answered', async () => {
    knobs({ loadMs: 1500 });
    const before = launches().length;
    const names = ['small-a', 'small-a', 'fast', 'org/small-a', 'small-a', 'fast', 'small-a', 'small-a'];
    const answers = await Promise.all(names.map((n, i) => (i % 2 ? chat(n) : k.fetch('/v1/completions', { method: 'POST', headers: json, body: JSON.stringify({ model: n, prompt: 'hi', max_tokens: 2 }) })).then(async (r) => ({ status: r.status, body: await r.json(), waited: Number(r.headers.get('x-spark-queue-wait-ms')) }))));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    // Each says how long it waited for the load (1.5 s here, less what the first ones were early by).
    for (const a of answers) expect(a.waited).toBeGreaterThan(500);
    // vLLM knows the model by its served name only: an alias reached it rewritten.
    expect(answers.every((a) => a.body.model === 'small-a')).toBe(true);
    expect(launches().length - before).toBe(1);
    expect(launches().at(-1)!.argv).toContain('small-a');
    expect((await swapState()).active).toMatchObject({ modelId: 'small-a' });
    const l = await listed();
    expect(l.data.find((m) => m.id === 'small-a')).toMatchObject({ state: 'serving', catalog_id: 'small-a', queued: 0 });
    expect(l.data.find((m) => m.id === 'small-b')).toMatchObject({ state: 'stopped' });
    // The swap job says why it ran.
    const jobs = k.app.services.jobs.list().filter((j) => j.kind === 'vllm.swap');
    expect(jobs.at(-1)?.meta).toMatchObject({ modelId: 'small-a', reason: 'request' });
  });

  it('a model that opted out of loading on request is a 409 naming the setting and starts nothing', async () => {
    const before = launches().length;
    const r = await chat('manual-only');
    expect(r.status).toBe(409);
    expect((await r.json()).error).toMatchObject({ code: 'VLLM_MODEL_NOT_SERVED', param: 'model' });
    expect(launches().length).toBe(before);
    expect((await listed()).data.map((m) => m.id)).not.toContain('manual-only');
  });

  it('the explicit swap API still works, and a request for the model it loads waits for it instead of a 503', async () => {
    knobs({ loadMs: 1200 });
    const before = launches().length;
    const s = await (await k.fetch('/api/swap', { method: 'POST', headers: json, body: '{"model":"small-b"}' })).json();
    const r = await chat('small-b');
    expect(r.status).toBe(200);
    expect((await k.app.services.jobs.wait(s.id)).state).toBe('succeeded');
    // The swap's own launch only: the request did not start a second one.
    expect(launches().length - before).toBe(1);
  });
});

describe('bounded waiting', () => {
  it('past the queue bound and past the maximum wait: 503 with Retry-After from the measured load time; the load goes on', async () => {
    knobs({ loadMs: 4000 });
    const waiting = [chat('bounded'), chat('bounded')];
    await until(listed, (l) => l.data.find((m) => m.id === 'bounded')?.queued === 2, 5000);
    const full = await chat('bounded');
    expect(full.status).toBe(503);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await full.json()).error.code).toBe('VLLM_QUEUE_FULL');
    // maxWaitSec 1: the two waiting ones time out long before the 4 s load is done.
    const timedOut = await Promise.all(waiting);
    for (const t of timedOut) {
      expect(t.status).toBe(503);
      expect(Number(t.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await t.json()).error.code).toBe('VLLM_LOAD_WAIT_TIMEOUT');
    }
    // The load itself finished: the next request is served at once, and the measured time drives the next Retry-After.
    const s = await settled();
    expect(s.active).toMatchObject({ modelId: 'bounded' });
    expect((await chat('bounded')).status).toBe(200);
    const m = (await (await k.fetch('/api/models')).json()).models.find((x: { id: string }) => x.id === 'bounded');
    expect(m.lastLoadSeconds).toBeGreaterThanOrEqual(3);
  });

  it('a client that disconnects while waiting leaves the queue', async () => {
    knobs({ loadMs: 2500 });
    await addModel({ id: 'one-seat', servedName: 'one-seat', queueMax: 1 });
    const ac = new AbortController();
    const gone = chat('one-seat', {}, { signal: ac.signal }).catch((e) => e);
    await until(listed, (l) => l.data.find((m) => m.id === 'one-seat')?.queued === 1, 5000);
    ac.abort();
    await gone;
    const after = await until(listed, (l) => l.data.find((m) => m.id === 'one-seat')?.queued === 0, 3000);
    expect(after.data.find((m) => m.id === 'one-seat')?.queued).toBe(0);
    // Its seat is free again: a new request is queued (not refused) and answered once the load is done.
    const next = await chat('one-seat');
    expect(next.status).toBe(200);
  });

  it('a streaming client waiting for a load gets ": loading <model>" comments, then the stream (the openai client ignores them)', async () => {
    knobs({ loadMs: 2500 });
    await settled();
    const r = await chat('small-b', { stream: true });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toMatch(/^: loading small-b$/m);
    expect(text).toContain('data: [DONE]');
    expect(text.indexOf(': loading small-b')).toBeLessThan(text.indexOf('data: {'));
    // The official client, waiting the same way for another model.
    const client = new OpenAI({ baseURL: `${k.url}/v1`, apiKey: 'unused' });
    const stream = await client.chat.completions.create({ model: 'small-a', messages: [{ role: 'user', content: 'one two' }], max_tokens: 4, stream: true });
    let out = '';
    for await (const ch of stream) out += ch.choices[0]?.delta?.content ?? '';
    expect(out).toContain('Hello from small-a');
  });

  it('mixed traffic does not thrash: the resident model keeps serving for minResidencySec while another waits', async () => {
    knobs({ loadMs: 500 });
    expect((await chat('small-a')).status).toBe(200);
    await settled();
    await setConfig({ minResidencySec: 3 });
    // small-a just became resident if it was not: wait until it is, then measure from its start.
    const since = Date.parse(((await swapState()).active as { since: string } & { modelId: string }).since);
    const other = chat('small-b').then((r) => ({ status: r.status, at: Date.now() }));
    // Meanwhile small-a is served at once, every time.
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      expect((await chat('small-a')).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(1500);
    }
    const b = await other;
    expect(b.status).toBe(200);
    expect(b.at - since).toBeGreaterThanOrEqual(3000);
  });
});

describe('idle unload and preload', () => {
  it('unloads a model idle for its idleTtlSec (container gone), and the next request loads it again', async () => {
    knobs({ loadMs: 400 });
    expect((await chat('idle-soon')).status).toBe(200);
    const gone = await until(swapState, (s) => !s.active && !s.running, 10_000);
    expect(gone.active).toBeNull();
    // Stopped and confirmed gone (the fake daemon removes the --rm container).
    expect(existsSync(join(root, 'state/containers/vllm_node.json'))).toBe(false);
    const before = launches().length;
    expect((await chat('idle-soon')).status).toBe(200);
    expect(launches().length - before).toBe(1);
  });

  it('loads the preload list at boot when nothing is served', async () => {
    const kk = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { ...base, preload: ['gpt-oss-20b'] } } } });
    try {
      writeFileSync(join(kk.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
      const s = await until(async () => (await (await kk.fetch('/api/swap')).json()) as { running: boolean; active: { modelId: string } | null }, (v) => !!v.active && !v.running, 20_000);
      expect(s.active).toMatchObject({ modelId: 'gpt-oss-20b' });
    } finally {
      await kk.stop();
    }
  }, 60_000);
});

describe('sleep mode', () => {
  it('is launched with --enable-sleep-mode and dev mode; idle it sleeps (container kept), the next request wakes it in well under a cold start', async () => {
    knobs({ loadMs: 3000 });
    await addModel({ id: 'sleepy', servedName: 'sleepy', sleep: true, idleTtlSec: 1 });
    const t0 = Date.now();
    expect((await chat('sleepy')).status).toBe(200);
    const coldMs = Date.now() - t0;
    const launch = readFileSync(join(root, 'state/launcher.calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] }).at(-1)!;
    expect(launch.argv).toContain('--enable-sleep-mode');
    expect(launch.argv.join(' ')).toContain('-e VLLM_SERVER_DEV_MODE=1');
    const asleep = await until(listed, (l) => l.data.find((m) => m.id === 'sleepy')?.state === 'sleeping', 10_000);
    expect(asleep.data.find((m) => m.id === 'sleepy')?.state).toBe('sleeping');
    expect((await swapState()).active).toMatchObject({ modelId: 'sleepy', asleep: { level: 2 } });
    expect(existsSync(join(root, 'state/containers/vllm_node.json'))).toBe(true);
    const launchesBefore = launches().length;
    const t1 = Date.now();
    const r = await chat('sleepy');
    const wakeMs = Date.now() - t1;
    expect(r.status).toBe(200);
    // Woken with the level-2 sequence (weights reloaded): the answer makes sense.
    expect((await r.json()).choices[0].message.content).toContain('Hello from sleepy');
    expect(launches().length).toBe(launchesBefore);
    expect(wakeMs).toBeLessThan(coldMs);
    const wake = k.app.services.jobs.list({ kind: 'vllm.wake' }).at(-1);
    expect(wake?.logTail.join('\n')).toContain('reloading the weights');
  });

  it('a wake that fails falls back to a cold start, saying why', async () => {
    knobs({ loadMs: 800 });
    await addModel({ id: 'sleepy-2', servedName: 'sleepy-2', sleep: true, idleTtlSec: 1 });
    expect((await chat('sleepy-2')).status).toBe(200);
    await until(swapState, (s) => !!(s.active as { asleep?: unknown } | null)?.asleep && !s.running, 10_000);
    knobs({ loadMs: 800, wakeFail: true });
    const events: Array<{ type: string; data: Record<string, unknown> }> = [];
    const off = k.app.services.events.on('vllm.ondemand.', (e) => events.push({ type: e.type, data: e.data as Record<string, unknown> }));
    const launchesBefore = launches().length;
    const r = await chat('sleepy-2');
    off();
    expect(r.status).toBe(200);
    expect(launches().length - launchesBefore).toBe(1);
    const cold = events.find((e) => e.type === 'vllm.ondemand.load' && e.data.kind === 'cold');
    expect(cold?.data.wakeError).toMatch(/wake_up.*out of memory/i);
    const swapJob = k.app.services.jobs.list({ kind: 'vllm.swap' }).at(-1);
    expect(String(swapJob?.meta?.reason)).toMatch(/wake failed: .*wake_up/);
  });
});

describe('across a restart of Spark Control', () => {
  it('re-adopts a sleeping model (still asleep, queues empty, no new container) and wakes it on the next request', async () => {
    const k1 = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } } });
    const dataDir = k1.dataDir;
    const r1 = k1.sim!.hostRoot('spark-1');
    writeFileSync(join(r1, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 500 }));
    const post = (kk: TestKernel, body: object) => kk.fetch('/v1/chat/completions', { method: 'POST', headers: json, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, ...body }) });
    expect((await k1.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id: 'nap', name: 'Nap', servedName: 'nap', repo: 'Qwen/Qwen3-4B-Instruct-2507', sleep: true, idleTtlSec: 1 }) })).status).toBe(201);
    expect((await post(k1, { model: 'nap' })).status).toBe(200);
    const status = async (kk: TestKernel) => (await (await kk.fetch('/api/plugins/vllm/ondemand')).json()) as { models: Array<{ id: string; state: string; queued: number; lastWakeMs: number | null; lastColdLoadSeconds: number | null }> };
    const napOf = async (kk: TestKernel) => (await status(kk)).models.find((m) => m.id === 'nap')!;
    const slept = await until(() => napOf(k1), (m) => m.state === 'sleeping', 10_000);
    expect(slept).toMatchObject({ state: 'sleeping', queued: 0, lastColdLoadSeconds: expect.any(Number) });
    await k1.stop({ keepData: true });
    const launchCount = () => readFileSync(join(r1, 'state/launcher.calls'), 'utf8').trim().split('\n').filter((l) => l.includes('"exec"')).length;
    const before = launchCount();
    const k2 = await createTestKernel({ plugins: ['vllm'], dataDir, config: { plugins: { vllm: base } } });
    try {
      expect(await napOf(k2)).toMatchObject({ state: 'sleeping', queued: 0 });
      const r = await post(k2, { model: 'nap' });
      expect(r.status).toBe(200);
      expect((await r.json()).choices[0].message.content).toContain('Hello from nap');
      expect(launchCount()).toBe(before);
      expect((await napOf(k2)).lastWakeMs).toEqual(expect.any(Number));
    } finally {
      await k2.stop({ keepData: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
