import { z } from 'zod';
// The published plugin API, imported exactly as an outside author does (build.mjs and tsconfig map it to core/src/api
// inside this repo; the bundle carries its small runtime).
import { defineSparkPlugin, SparkError } from '@spark-control/plugin-api';
import { startFakeComfy } from '../sim/fakeComfy.js';

const configSchema = z.object({
  port: z.number().int().min(1).max(65535).default(8188),
  hostId: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/).default('spark-1'),
});

const queueSchema = z.object({ queue_running: z.array(z.unknown()), queue_pending: z.array(z.unknown()) });
const statsSchema = z.object({ system: z.record(z.string(), z.unknown()), devices: z.array(z.object({ name: z.string() }).passthrough()) });
const historySchema = z.record(z.string(), z.object({ outputs: z.record(z.string(), z.object({ images: z.array(z.object({ filename: z.string(), subfolder: z.string(), type: z.string() })).optional() }).passthrough()).optional() }).passthrough());

export default defineSparkPlugin({
  manifest: { id: 'comfyui', name: 'ComfyUI', version: '0.1.0', apiVersion: '^2.0.0', description: 'Queue, system stats and recent images of ComfyUI on a Spark.' },
  configSchema,
  register(ctx) {
    const up = () => {
      const c = ctx.config.get();
      const s = ctx.cluster.service('comfyui', { hostId: c.hostId, port: c.port });
      return { service: 'comfyui', hostId: s.hostId, baseUrl: s.baseUrl };
    };
    ctx.routes.add({ method: 'GET', path: '/queue', summary: 'Running and pending prompts' }, async () => {
      const q = await ctx.http.fetchJson(up(), '/queue', queueSchema, { timeoutMs: 5000 });
      return { running: q.queue_running.length, pending: q.queue_pending.length };
    });
    ctx.routes.add({ method: 'GET', path: '/stats', summary: 'ComfyUI system stats' }, () => ctx.http.fetchJson(up(), '/system_stats', statsSchema, { timeoutMs: 5000 }));
    ctx.routes.add({ method: 'GET', path: '/recent', query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(8) }), summary: 'Most recent output images' }, async (c) => {
      const h = await ctx.http.fetchJson(up(), '/history', historySchema, { timeoutMs: 5000 });
      const images = Object.entries(h).reverse().flatMap(([id, e]) => Object.values(e.outputs ?? {}).flatMap((o) => (o.images ?? []).map((img) => ({ prompt: id, ...img }))));
      return { images: images.slice(0, c.query.limit) };
    });
    // The ComfyUI API itself, proxied (GET and POST), e.g. /api/plugins/comfyui/proxy/prompt.
    for (const method of ['GET', 'POST'] as const) {
      ctx.routes.add({ method, path: '/proxy/*rest', bodyMode: 'raw', maxBodyBytes: 32 * 1024 * 1024, summary: 'ComfyUI API passthrough' }, (c) => {
        const rest = c.params.rest;
        if (!/^[A-Za-z0-9_\-/.]+$/.test(rest) || rest.includes('..')) throw new SparkError('COMFYUI_BAD_PATH', 'unsupported path', { status: 400 });
        return ctx.http.proxy(c, up(), { path: `/${rest}${c.search ? `?${c.search}` : ''}`, timeoutMs: 30_000 });
      });
    }
    ctx.health.register({
      name: 'comfyui', service: 'comfyui', intervalMs: 30_000, timeoutMs: 3000,
      check: async (signal) => {
        const r = await ctx.http.request(up(), '/system_stats', { timeoutMs: 2500, signal });
        r.body.resume();
        return r.status === 200 ? { status: 'up' } : { status: 'down', detail: `HTTP ${r.status}` };
      },
    });
    ctx.tiles.register({ tag: 'spark-comfyui-tile', module: 'tile.js', title: 'ComfyUI', order: 70 });
  },
  simulators: [{ service: 'comfyui', hostId: 'spark-1', start: () => startFakeComfy() }],
});
