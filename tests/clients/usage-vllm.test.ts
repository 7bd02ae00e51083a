import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Issue 26 on the vLLM plugin: tokens counted per client and model from vLLM's own `usage` (streams included, the
 *  usage chunk asked for and stripped when the client did not ask), model allow lists, and client priority in the
 *  on-demand queue. */
let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

const base = { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10, minResidencySec: 0, drainTimeoutSec: 2, loadingCommentSec: 1 };
const json = { 'content-type': 'application/json' };
const root = () => k!.sim!.hostRoot('spark-1');
const knobs = (v: object) => writeFileSync(join(root(), 'state/vllm-sim.json'), JSON.stringify(v));
const launched = () => (existsSync(join(root(), 'state/launcher.calls')) ? readFileSync(join(root(), 'state/launcher.calls'), 'utf8') : '').trim().split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { argv: string[] }).filter((c) => c.argv.includes('exec')).map((c) => c.argv.find((a) => a === 'small-a' || a === 'small-b' || a === 'small-c'));

async function start(): Promise<void> {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: base } }, usage: { flushMs: 50 } });
  knobs({ loadMs: 300, tokenDelayMs: 2 });
  for (const id of ['small-a', 'small-b', 'small-c']) {
    const r = await k.fetch('/api/models', { method: 'POST', headers: json, body: JSON.stringify({ id, servedName: id, name: id, repo: 'Qwen/Qwen3-4B-Instruct-2507', args: ['--max-model-len', '4096'], expectedLoadMinutes: 0.1, ...(id === 'small-a' ? { aliases: ['fast'] } : {}) }) });
    expect(r.status, await r.clone().text()).toBe(201);
  }
}
async function client(body: object): Promise<{ key: string; id: string }> {
  const r = await k!.fetch('/api/clients', { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect(r.status, await r.clone().text()).toBe(201);
  const j = await r.json() as { key: string; client: { id: string } };
  return { key: j.key, id: j.client.id };
}
const post = (path: string, key: string, body: object, signal?: AbortSignal) => k!.fetch(path, { method: 'POST', headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify(body), signal });
const chatBody = (model: string, content: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content }], max_tokens: 6, ...extra });
/** The fake vLLM's own token counters (what it reported in `usage`, summed). */
async function vllmTokens(): Promise<{ prompt: number; generation: number }> {
  const text = await (await fetch(`http://127.0.0.1:${k!.sim!.servicePorts.vllm.port}/metrics`)).text();
  const num = (name: string) => Number(new RegExp(`^vllm:${name}\\S* (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { prompt: num('prompt_tokens_total'), generation: num('generation_tokens_total') };
}
async function usageOf(clientId: string): Promise<Record<string, number>> {
  const u = await (await k!.fetch(`/api/usage?client=${clientId}`)).json() as { rows: Array<{ plugin: string; subject: string; counter: string; value: number }> };
  return Object.fromEntries(u.rows.filter((r) => r.plugin === 'vllm' && r.subject !== '').map((r) => [`${r.subject}:${r.counter}`, r.value]));
}
/** SSE data events, with the parts that differ between two answers (id, time) made equal. */
const events = (text: string) => text.split('\n\n').filter(Boolean).map((e) => e.replace(/"id":"[^"]*"/g, '"id":"x"').replace(/"created":\d+/g, '"created":0'));

describe('token usage from vLLM', () => {
  it('equals the sum of vLLM\'s usage over mixed streamed and non-streamed requests, per client and catalog model', async () => {
    await start();
    const app = await client({ name: 'app', scopes: ['inference'] });
    const other = await client({ name: 'other', scopes: ['inference'] });
    const openai = new OpenAI({ baseURL: `${k!.url}/v1`, apiKey: app.key });
    type U = { prompt_tokens: number; completion_tokens: number };
    /** Per client, the usage vLLM reported for each request (seen by the client, or by the proxy only). */
    const reported: Record<string, U[]> = { app: [], other: [] };
    // A fresh simulator serves nothing yet (its port refuses until a model loads): its counters start at zero.
    const before = await vllmTokens().catch(() => ({ prompt: 0, generation: 0 }));
    // Loads small-a on request (non-streamed), then a mix on it.
    reported.app.push((await openai.chat.completions.create(chatBody('small-a', 'one two three') as never) as OpenAI.ChatCompletion).usage!);
    reported.app.push((await openai.completions.create({ model: 'fast', prompt: 'a b c d e', max_tokens: 4 })).usage!);
    // A stream the openai client did not ask usage for: it sees no usage chunk at all.
    let chunks = 0;
    for await (const ch of await openai.chat.completions.create({ ...chatBody('small-a', 'stream me please'), stream: true } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      chunks++;
      expect(ch.usage ?? null).toBeNull();
      expect(ch.choices.length).toBeGreaterThan(0);
    }
    expect(chunks).toBeGreaterThan(2);
    // A stream that asked: it gets vLLM's usage chunk, and that is what is counted.
    let asked: U | undefined;
    for await (const ch of await openai.chat.completions.create({ ...chatBody('small-a', 'stream me please'), stream: true, stream_options: { include_usage: true } } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) if (ch.usage) asked = ch.usage;
    expect(asked).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    reported.app.push(asked!, asked!); // the stream without usage had the same prompt, so vLLM reported the same
    // Raw: the same stream with and without include_usage; stripped = unstripped minus the usage chunk.
    const withUsage = await (await post('/v1/chat/completions', app.key, chatBody('small-a', 'same words here', { stream: true, stream_options: { include_usage: true } }))).text();
    const without = await (await post('/v1/chat/completions', app.key, chatBody('small-a', 'same words here', { stream: true }))).text();
    const full = events(withUsage);
    const usageChunk = full.findIndex((e) => e.includes('"choices":[]') && e.includes('"usage"'));
    expect(usageChunk).toBe(full.length - 2); // just before [DONE]
    expect(full.at(-1)).toBe('data: [DONE]');
    expect(events(without)).toEqual(full.filter((_, i) => i !== usageChunk));
    const raw = JSON.parse(full[usageChunk].slice('data: '.length)).usage as U;
    reported.app.push(raw, raw);
    // Another client's requests are counted under that client only; one naming no model under the served model.
    reported.other.push((await (await post('/v1/chat/completions', other.key, chatBody('small-a', 'another client'))).json()).usage);
    const noModel = await (await post('/v1/chat/completions', other.key, { messages: [{ role: 'user', content: 'no model named' }], max_tokens: 3, stream: true, stream_options: { include_usage: true } })).text();
    reported.other.push(JSON.parse(events(noModel).at(-2)!.slice('data: '.length)).usage);
    const after = await vllmTokens();
    const sum = (us: U[], f: keyof U) => us.reduce((n, u) => n + u[f], 0);
    const a = await usageOf(app.id);
    const b = await usageOf(other.id);
    expect(a).toEqual({ 'small-a:requests': 6, 'small-a:prompt_tokens': sum(reported.app, 'prompt_tokens'), 'small-a:completion_tokens': sum(reported.app, 'completion_tokens') });
    expect(b).toEqual({ 'small-a:requests': 2, 'small-a:prompt_tokens': sum(reported.other, 'prompt_tokens'), 'small-a:completion_tokens': sum(reported.other, 'completion_tokens') });
    // And vLLM's own counters over the whole run agree with what was counted, less the swap's own smoke test after
    // the one load (swap.ts: prompt "Hello", max_tokens 1), which is no client's.
    expect(launched()).toEqual(['small-a']);
    expect(a['small-a:prompt_tokens'] + b['small-a:prompt_tokens']).toBe(after.prompt - before.prompt - 1);
    expect(a['small-a:completion_tokens'] + b['small-a:completion_tokens']).toBe(after.generation - before.generation - 1);
    // The kernel's own per-plugin request count sits beside the per-model one.
    const all = await (await k!.fetch(`/api/usage?client=${app.id}`)).json() as { rows: Array<{ plugin: string; subject: string; counter: string; value: number }> };
    expect(all.rows.find((r) => r.plugin === 'vllm' && r.subject === '' && r.counter === 'requests')?.value).toBe(6);
  }, 60_000);

  it('a stream that waits for a load is counted too, and a client that leaves mid-stream is charged nothing it did not get', async () => {
    await start();
    knobs({ loadMs: 400, tokenDelayMs: 30 });
    const app = await client({ name: 'app', scopes: ['inference'] });
    const text = await (await post('/v1/chat/completions', app.key, chatBody('small-b', 'load then stream', { stream: true }))).text();
    expect(text).toContain(': loading small-b');
    expect(text).not.toContain('"usage"');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    const u = await usageOf(app.id);
    expect(u['small-b:prompt_tokens']).toBe(3);
    expect(u['small-b:completion_tokens']).toBe(6);
    // Leaves after the first chunk: vLLM never sends usage, nothing more is counted.
    const ac = new AbortController();
    const r = await post('/v1/chat/completions', app.key, chatBody('small-b', 'leave early', { stream: true }), ac.signal);
    await r.body!.getReader().read();
    ac.abort();
    await new Promise((res) => setTimeout(res, 300));
    const v = await usageOf(app.id);
    expect(v['small-b:prompt_tokens']).toBe(3);
    expect(v['small-b:requests']).toBe(2);
  }, 60_000);
});

describe('model allow lists', () => {
  it('a model outside the client\'s list is a 403 in OpenAI\'s envelope before anything loads, and /v1/models hides it', async () => {
    await start();
    const only = await client({ name: 'only-a', scopes: ['inference'], allow: { models: ['small-a'] } });
    const openai = new OpenAI({ baseURL: `${k!.url}/v1`, apiKey: only.key });
    const err = await openai.chat.completions.create(chatBody('small-b', 'x') as never).catch((e) => e);
    expect(err).toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
    expect(launched()).toEqual([]);
    const list = await openai.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['small-a']);
    // Everyone else still sees the whole catalog.
    const all = await (await k!.fetch('/v1/models')).json() as { data: Array<{ id: string }> };
    expect(all.data.map((m) => m.id)).toEqual(expect.arrayContaining(['small-a', 'small-b', 'small-c']));
    // The model it may use works (by alias too).
    expect((await openai.chat.completions.create(chatBody('fast', 'ok') as never) as OpenAI.ChatCompletion).choices[0].message.content).toContain('Hello from small-a');
    // Every /v1 route is inference: a read key lists the models but may not complete (nor reach the catch-all proxy).
    const viewer = await client({ name: 'viewer', scopes: ['read'] });
    expect((await k!.fetch('/v1/models', { headers: { authorization: `Bearer ${viewer.key}` } })).status).toBe(200);
    expect((await post('/v1/chat/completions', viewer.key, chatBody('fast', 'no'))).status).toBe(403);
    expect((await post('/v1/tokenize', viewer.key, { model: 'fast', prompt: 'no' })).status).toBe(403);
    expect((await post('/v1/tokenize', only.key, { model: 'small-a', prompt: 'yes' })).status).not.toBe(403);
    // The catch-all reaches the served model whatever the body names: refused to a client whose list leaves it out.
    const onlyB = await client({ name: 'only-b', scopes: ['inference'], allow: { models: ['small-b'] } });
    const viaCatchAll = await post('/v1/tokenize', onlyB.key, { model: 'small-b', prompt: 'sneak' });
    expect(viaCatchAll.status).toBe(403);
    expect((await viaCatchAll.json()).error).toMatchObject({ code: 'model_not_allowed', param: 'model' });
  }, 60_000);

  it('a client that may not load a model uses it only while someone else has it loaded', async () => {
    await start();
    const guest = await client({ name: 'guest', scopes: ['inference'], allow: { loadOnRequest: [] } });
    const owner = await client({ name: 'owner', scopes: ['inference'] });
    const refused = await post('/v1/chat/completions', guest.key, chatBody('small-c', 'may I'));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: 'model_not_allowed', param: 'model' });
    expect(launched()).toEqual([]);
    // Listed to it only once served, and then without load_on_request.
    const guestList = async () => (await (await k!.fetch('/v1/models', { headers: { authorization: `Bearer ${guest.key}` } })).json() as { data: Array<{ id: string; load_on_request: boolean }> }).data;
    expect(await guestList()).toEqual([]);
    expect((await post('/v1/chat/completions', owner.key, chatBody('small-c', 'load it'))).status).toBe(200);
    const ok = await post('/v1/chat/completions', guest.key, chatBody('small-c', 'now I may'));
    expect(ok.status).toBe(200);
    expect(await guestList()).toEqual([expect.objectContaining({ id: 'small-c', load_on_request: false })]);
    expect(launched()).toEqual(['small-c']);
  }, 60_000);
});

describe('client priority in the on-demand queue', () => {
  it('while a load runs, the model a higher-priority client waits for loads next, though a lower one asked first', async () => {
    await start();
    knobs({ loadMs: 800, tokenDelayMs: 2 });
    const low = await client({ name: 'batch', scopes: ['inference'], priority: -10 });
    const high = await client({ name: 'interactive', scopes: ['inference'], priority: 50 });
    const mid = await client({ name: 'normal', scopes: ['inference'] });
    const first = post('/v1/chat/completions', mid.key, chatBody('small-c', 'first load'));
    while (!launched().length) await new Promise((r) => setTimeout(r, 20));
    const order: string[] = [];
    const lowDone = post('/v1/chat/completions', low.key, chatBody('small-a', 'low asks first')).then((r) => { order.push('low'); return r.status; });
    await new Promise((r) => setTimeout(r, 100));
    const highDone = post('/v1/chat/completions', high.key, chatBody('small-b', 'high asks second')).then((r) => { order.push('high'); return r.status; });
    expect(await Promise.all([first.then((r) => r.status), lowDone, highDone])).toEqual([200, 200, 200]);
    expect(launched()).toEqual(['small-c', 'small-b', 'small-a']);
    expect(order).toEqual(['high', 'low']);
  }, 60_000);

  it('within one priority the queue stays first come, first served', async () => {
    await start();
    knobs({ loadMs: 800, tokenDelayMs: 2 });
    const a = await client({ name: 'a', scopes: ['inference'], priority: 5 });
    const b = await client({ name: 'b', scopes: ['inference'], priority: 5 });
    const first = post('/v1/chat/completions', a.key, chatBody('small-c', 'first load'));
    while (!launched().length) await new Promise((r) => setTimeout(r, 20));
    const x = post('/v1/chat/completions', a.key, chatBody('small-a', 'asks first'));
    await new Promise((r) => setTimeout(r, 100));
    const y = post('/v1/chat/completions', b.key, chatBody('small-b', 'asks second'));
    expect((await Promise.all([first, x, y])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(launched()).toEqual(['small-c', 'small-a', 'small-b']);
  }, 60_000);
});
