import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, NotReadyError, type PluginContext, type SparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

function plugin(id: string, o: { dependsOn?: string[]; apiVersion?: string; register?: (ctx: PluginContext<any>) => void; onStart?: () => Promise<void> | void; onStop?: () => void } = {}): SparkPlugin {
  return defineSparkPlugin({
    manifest: { id, name: id, version: '1.0.0', apiVersion: o.apiVersion ?? '^2.0.0', dependsOn: o.dependsOn },
    configSchema: z.object({}),
    register(ctx) {
      ctx.routes.add({ method: 'GET', path: '/ping' }, () => ({ id }));
      if (o.onStart) ctx.lifecycle.onStart(o.onStart);
      if (o.onStop) ctx.lifecycle.onStop(o.onStop);
      o.register?.(ctx);
    },
  });
}

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

const states = async (kk: TestKernel) => Object.fromEntries(((await (await kk.fetch('/api/plugins')).json()) as any[]).map((p) => [p.id, p.state]));
const waitFor = async (fn: () => Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await fn()) return; await new Promise((r) => setTimeout(r, 20)); }
  throw new Error('condition not met in time');
};

describe('kernel lifecycle', () => {
  it('retries a plugin that throws NotReadyError with backoff, answering 503 problem+json until it runs', async () => {
    let attempts = 0;
    k = await createTestKernel({ simulate: false, plugins: [plugin('slow', { onStart: () => { if (++attempts < 3) throw new NotReadyError('upstream warming up'); } })] });
    const first = await k.fetch('/api/plugins/slow/ping');
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toContain('application/problem+json');
    expect(first.headers.get('retry-after')).toBeTruthy();
    const body = await first.json();
    expect(body.code).toBe('SPK_PLUGIN_NOT_RUNNING');
    expect(body.detail).toContain('warming up');
    await waitFor(async () => (await states(k!)).slow === 'running');
    expect(attempts).toBe(3);
    expect(await (await k.fetch('/api/plugins/slow/ping')).json()).toEqual({ id: 'slow' });
  });

  it('isolates failures: a plugin failing in register or start never stops the others', async () => {
    k = await createTestKernel({
      simulate: false,
      plugins: [
        plugin('good'),
        plugin('bad-register', { register: () => { throw new Error('boom in register'); } }),
        plugin('bad-start', { onStart: () => { throw new Error('boom in start'); } }),
      ],
    });
    const s = await states(k);
    expect(s).toMatchObject({ good: 'running', 'bad-register': 'failed', 'bad-start': 'failed' });
    const list = (await (await k.fetch('/api/plugins')).json()) as any[];
    expect(list.find((p) => p.id === 'bad-start').error).toMatchObject({ code: 'SPK_PLUGIN_START_FAILED', message: 'boom in start' });
    expect((await k.fetch('/api/plugins/good/ping')).status).toBe(200);
    expect((await k.fetch('/api/plugins/bad-start/ping')).status).toBe(503);
  });

  it('restarts a failed plugin on request and it recovers', async () => {
    let fail = true;
    k = await createTestKernel({ simulate: false, plugins: [plugin('flaky', { onStart: () => { if (fail) throw new Error('not today'); } })] });
    expect((await states(k)).flaky).toBe('failed');
    fail = false;
    const r = await k.fetch('/api/plugins/flaky/restart', { method: 'POST' });
    expect(r.status).toBe(200);
    expect((await r.json()).state).toBe('running');
    expect((await k.fetch('/api/plugins/flaky/ping')).status).toBe(200);
  });

  it('orders by dependsOn, fails only the members of a cycle, and stops in reverse start order', async () => {
    const started: string[] = [];
    const stopped: string[] = [];
    const track = (id: string, dependsOn?: string[]) => plugin(id, { dependsOn, onStart: () => void started.push(id), onStop: () => void stopped.push(id) });
    k = await createTestKernel({
      simulate: false,
      plugins: [track('pc', ['pb']), track('pb', ['pa']), track('pa'), track('px', ['py']), track('py', ['px']), track('lonely')],
    });
    const s = await states(k);
    expect(s).toMatchObject({ pa: 'running', pb: 'running', pc: 'running', lonely: 'running', px: 'failed', py: 'failed' });
    const list = (await (await k.fetch('/api/plugins')).json()) as any[];
    expect(list.find((p) => p.id === 'px').error.code).toBe('SPK_PLUGIN_DEPENDENCY_CYCLE');
    expect([...started].sort()).toEqual(['lonely', 'pa', 'pb', 'pc']); // each started exactly once
    expect(started.indexOf('pa')).toBeLessThan(started.indexOf('pb'));
    expect(started.indexOf('pb')).toBeLessThan(started.indexOf('pc'));
    await k.stop();
    k = undefined;
    expect(stopped.indexOf('pc')).toBeLessThan(stopped.indexOf('pb'));
    expect(stopped.indexOf('pb')).toBeLessThan(stopped.indexOf('pa'));
  });

  it('marks an incompatible apiVersion, a duplicate id, a bad tile tag and I/O during register with stable codes', async () => {
    const dup = plugin('twin');
    k = await createTestKernel({
      simulate: false,
      plugins: [
        plugin('old', { apiVersion: '^1.0.0' }),
        dup,
        plugin('twin'),
        plugin('badtile', { register: (ctx) => ctx.tiles.register({ tag: 'spark-other-tile' as never, module: 'tile.js', title: 't' }) }),
        plugin('eager', { register: (ctx) => { void ctx.ssh.exec('spark-1', ['true']).catch(() => {}); } }),
        plugin('shadow', { register: (ctx) => ctx.routes.add({ method: 'POST', path: '/restart' }, () => 'mine') }),
      ],
    });
    const list = (await (await k.fetch('/api/plugins')).json()) as any[];
    const by = (id: string) => list.find((p) => p.id === id || p.id.startsWith(id + '@'));
    expect(by('old')).toMatchObject({ state: 'incompatible', error: { code: 'SPK_PLUGIN_API_MISMATCH' } });
    expect(list.filter((p) => p.id.startsWith('twin@'))[0]).toMatchObject({ state: 'failed', error: { code: 'SPK_PLUGIN_DUPLICATE_ID' } });
    expect(by('twin').state).toBe('running');
    expect(by('badtile')).toMatchObject({ state: 'failed', error: { code: 'SPK_TILE_TAG' } });
    expect(by('eager')).toMatchObject({ state: 'failed', error: { code: 'SPK_IO_DURING_REGISTER' } });
    expect(by('shadow')).toMatchObject({ state: 'failed', error: { code: 'SPK_ROUTE_RESERVED' } });
  });

  it('refuses two plugins claiming the same public prefix (SPK_ROUTE_CONFLICT) and routes the longest prefix', async () => {
    const pub = (id: string, prefix: `/${string}`) => plugin(id, { register: (ctx) => ctx.publicRoutes(prefix).add({ method: 'GET', path: '/*rest' }, () => ({ by: id })) });
    k = await createTestKernel({ simulate: false, plugins: [pub('wide', '/v9'), pub('narrow', '/v9/audio'), pub('clash', '/v9/audio')] });
    const list = (await (await k.fetch('/api/plugins')).json()) as any[];
    expect(list.find((p) => p.id === 'clash')).toMatchObject({ state: 'failed', error: { code: 'SPK_ROUTE_CONFLICT' } });
    expect(await (await k.fetch('/v9/models')).json()).toEqual({ by: 'wide' });
    expect(await (await k.fetch('/v9/audio/speech')).json()).toEqual({ by: 'narrow' });
  });

  it('disables and enables a plugin; a disabled plugin answers 503 and stays disabled across restarts', async () => {
    k = await createTestKernel({ simulate: false, plugins: [plugin('toggle')] });
    expect((await k.fetch('/api/plugins/toggle/disable', { method: 'POST' })).status).toBe(200);
    expect((await states(k)).toggle).toBe('disabled');
    const off = await k.fetch('/api/plugins/toggle/ping');
    expect(off.status).toBe(503);
    expect((await off.json()).detail).toMatch(/^plugin toggle is disabled/);
    const dataDir = k.dataDir;
    await k.stop({ keepData: true });
    k = await createTestKernel({ simulate: false, dataDir, plugins: [plugin('toggle')] });
    expect((await states(k)).toggle).toBe('disabled');
    expect((await k.fetch('/api/plugins/toggle/ping')).status).toBe(503);
    expect((await (await k.fetch('/api/plugins/toggle/enable', { method: 'POST' })).json()).state).toBe('running');
    expect((await k.fetch('/api/plugins/toggle/ping')).status).toBe(200);
  });
});
