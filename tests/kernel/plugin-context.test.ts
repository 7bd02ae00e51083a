import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import type { PluginContext } from '../../core/src/api/types.js';
import { currentOwner } from '../../core/src/kernel/pluginContext.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Every callback the kernel runs for a plugin runs in that plugin's async context (so an error there is blamed on
 *  the right plugin), even when another plugin's code triggered it or opened the pooled connection it arrives on. */
const seen: Record<string, Record<string, string | undefined>> = { 'ctx-a': {}, 'ctx-b': {} };
const note = (id: string, what: string) => { seen[id][what] = currentOwner()?.id ?? '(none)'; };
let upstream: Server;
let upstreamUrl = '';

function recorder(id: 'ctx-a' | 'ctx-b', extra?: (ctx: PluginContext<unknown>) => void) {
  return defineSparkPlugin({
    manifest: { id, name: id, version: '1.0.0', apiVersion: '^2.0.0' },
    configSchema: z.object({ n: z.number().default(0) }),
    register(ctx) {
      note(id, 'register');
      ctx.lifecycle.onStart(() => { note(id, 'onStart'); });
      ctx.health.register({ name: 'probe', timeoutMs: 1000, intervalMs: 60_000, check: async () => { note(id, 'health check'); return { status: 'up' }; } });
      ctx.config.watch(() => { note(id, 'config watcher'); });
      const sched = ctx.jobs.schedule({ name: 'tick', everyMs: 60_000, initialDelayMs: 60_000, run: async () => { note(id, 'scheduled job'); } });
      ctx.routes.add({ method: 'POST', path: '/probe' }, async () => {
        note(id, 'route');
        await ctx.health.runNow('probe');
        await sched.trigger();
        const job = ctx.jobs.start({ kind: 'probe', title: 'probe', run: async () => { note(id, 'job'); } });
        await ctx.jobs.wait(job.id);
        await new Promise<void>((r) => ctx.timers.setTimeout(() => { note(id, 'ctx.timers'); r(); }, 5));
        const res = await ctx.http.request({ service: 'probe-up', baseUrl: upstreamUrl }, '/', { timeoutMs: 5000 });
        await new Promise<void>((r) => { res.body.on('data', () => note(id, 'upstream body data')); res.body.on('end', () => r()); });
        await ctx.ssh.stream('spark-1', ['echo', 'hi'], { timeoutMs: 5000, onLine: () => note(id, 'ssh line') });
        return { ok: true };
      });
      extra?.(ctx);
    },
  });
}

const a = recorder('ctx-a', (ctx) => {
  ctx.events.on('ctx-b.', () => note('ctx-a', 'event handler'));
});
const b = recorder('ctx-b', (ctx) => {
  ctx.routes.add({ method: 'POST', path: '/emit-and-proxy', bodyMode: 'raw' }, async (c) => {
    ctx.events.emit('ctx-b.poke', {});
    await ctx.http.proxy(c, { service: 'probe-up', baseUrl: upstreamUrl }, { path: '/' });
  });
});

let k: TestKernel;
beforeAll(async () => {
  upstream = createServer((_q, r) => { r.writeHead(200, { 'content-type': 'text/plain' }); r.write('one '); setTimeout(() => r.end('two'), 10); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  k = await createTestKernel({ plugins: [a, b] });
});
afterAll(async () => { await k?.stop(); upstream?.close(); });

describe('plugin async context', () => {
  it('names the plugin in each of its callbacks', async () => {
    expect((await k.fetch('/api/plugins/ctx-a/probe', { method: 'POST' })).status).toBe(200);
    // b's request reuses the keep-alive connection a's request opened: its body events are b's all the same.
    expect((await k.fetch('/api/plugins/ctx-b/probe', { method: 'POST' })).status).toBe(200);
    expect((await k.fetch('/api/config/plugins/ctx-a', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"n":1}' })).status).toBe(200);
    // b emits and proxies: a's event handler runs as a.
    expect((await k.fetch('/api/plugins/ctx-b/emit-and-proxy', { method: 'POST' })).status).toBe(200);
    const callbacks = ['register', 'onStart', 'route', 'health check', 'scheduled job', 'job', 'ctx.timers', 'upstream body data', 'ssh line'];
    expect(seen['ctx-a']).toEqual(Object.fromEntries([...callbacks, 'config watcher', 'event handler'].map((c) => [c, 'ctx-a'])));
    expect(seen['ctx-b']).toEqual(Object.fromEntries(callbacks.map((c) => [c, 'ctx-b'])));
  });
});

describe('a crash while the plugin is still starting', () => {
  it('fails that instance (its start is abandoned) and the restarted one runs', async () => {
    let starts = 0;
    const flaky = defineSparkPlugin({
      manifest: { id: 'flaky-start', name: 'flaky', version: '1.0.0', apiVersion: '^2.0.0' },
      configSchema: z.object({}),
      register(ctx) {
        ctx.routes.add({ method: 'GET', path: '/ping' }, () => ({ starts }));
        ctx.lifecycle.onStart(async () => {
          const n = ++starts;
          if (n === 1) ctx.timers.setTimeout(() => { throw new Error('boom during start'); }, 5);
          await new Promise((r) => setTimeout(r, 200));
        });
      },
    });
    const kk = await createTestKernel({ plugins: [flaky], simulate: false, retryBaseMs: 1500 });
    try {
      const list = async () => ((await (await kk.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; error?: { code: string; where?: string }; crashes?: number }>).find((p) => p.id === 'flaky-start')!;
      const first = await list();
      expect(first).toMatchObject({ state: 'failed', error: { code: 'SPK_PLUGIN_CRASHED', where: 'timer (5 ms)' }, crashes: 1 });
      const end = Date.now() + 10_000;
      while ((await list()).state !== 'running' && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      expect((await list()).state).toBe('running');
      expect(await (await kk.fetch('/api/plugins/flaky-start/ping')).json()).toEqual({ starts: 2 });
    } finally {
      await kk.stop();
    }
  });
});
