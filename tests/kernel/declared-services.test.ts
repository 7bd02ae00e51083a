import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, type PluginContext, type PluginManifest, type SparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** A plugin declaring its service in its manifest; `GET /where` answers where the kernel resolves it. */
function lab(services: PluginManifest['services'], resolve: (ctx: PluginContext) => unknown = (ctx) => ctx.cluster.service('lab-upstream')): SparkPlugin {
  return defineSparkPlugin({
    manifest: { id: 'lab', name: 'Lab', version: '1.0.0', apiVersion: '^2.0.0', services },
    configSchema: z.object({}),
    register(ctx) {
      ctx.routes.add({ method: 'GET', path: '/where' }, () => {
        const e = resolve(ctx) as { hostId: string; port: number; baseUrl: string };
        return { hostId: e.hostId, port: e.port, baseUrl: e.baseUrl };
      });
    },
  });
}

const hosts = [
  { id: 'spark-1', name: 'Spark 1', address: '127.0.0.2' },
  { id: 'spark-2', name: 'Spark 2', address: '127.0.0.3' },
];

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

describe('services are declared by the plugin that uses them', () => {
  it('resolves a service from the manifest when config.json does not map it', async () => {
    k = await createTestKernel({ simulate: false, config: { hosts }, plugins: [lab({ 'lab-upstream': { hostId: 'spark-2', port: 7001 } })] });
    expect(await (await k.fetch('/api/plugins/lab/where')).json()).toEqual({ hostId: 'spark-2', port: 7001, baseUrl: 'http://127.0.0.3:7001' });
  });

  it("config.json's services map wins over the manifest (the existing file format keeps working)", async () => {
    k = await createTestKernel({
      simulate: false,
      config: { hosts, services: { 'lab-upstream': { hostId: 'spark-1', port: 7100 } } },
      plugins: [lab({ 'lab-upstream': { hostId: 'spark-2', port: 7001 } })],
    });
    expect(await (await k.fetch('/api/plugins/lab/where')).json()).toEqual({ hostId: 'spark-1', port: 7100, baseUrl: 'http://127.0.0.2:7100' });
  });

  it('defaults passed to service() win field by field over the manifest (a port setting)', async () => {
    k = await createTestKernel({
      simulate: false, config: { hosts },
      plugins: [lab({ 'lab-upstream': { hostId: 'spark-2', port: 7001 } }, (ctx) => ctx.cluster.service('lab-upstream', { port: 7002 }))],
    });
    expect(await (await k.fetch('/api/plugins/lab/where')).json()).toEqual({ hostId: 'spark-2', port: 7002, baseUrl: 'http://127.0.0.3:7002' });
  });

  it('the kernel knows no service of its own: an undeclared, unmapped name is a 503 naming it', async () => {
    k = await createTestKernel({ simulate: false, config: { hosts }, plugins: [lab(undefined, (ctx) => ctx.cluster.service('vllm'))] });
    const r = await k.fetch('/api/plugins/lab/where');
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ code: 'SPK_SERVICE_UNMAPPED', detail: expect.stringContaining('vllm') });
  });

  it('refuses a manifest whose services map is malformed, naming the field', async () => {
    k = await createTestKernel({ simulate: false, config: { hosts }, plugins: [lab({ 'lab-upstream': { hostId: 'spark-2', port: 70000 } })] });
    const list = (await (await k.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; error?: { code: string; message: string } }>;
    expect(list.find((p) => p.id === 'lab')).toMatchObject({ error: { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'manifest.services.lab-upstream.port must be 1–65535' } });
  });
});

describe('services declare the memory they keep', () => {
  /** A plugin that only declares services (its id and services given). */
  const holder = (id: string, services: PluginManifest['services']): SparkPlugin => defineSparkPlugin({ manifest: { id, name: id, version: '1.0.0', apiVersion: '^2.0.0', services }, configSchema: z.object({}), register() {} });

  it('lists every running plugin\'s declared memory on the host the topology maps it to now (config.json wins)', async () => {
    k = await createTestKernel({
      simulate: false,
      config: { hosts, services: { 'moved-db': { hostId: 'spark-1', port: 7300 } } },
      plugins: [
        holder('asr', { 'asr-svc': { hostId: 'spark-2', port: 7200, memoryGB: 6 }, 'no-memory': { hostId: 'spark-2', port: 7201 } }),
        holder('db', { 'moved-db': { hostId: 'spark-2', port: 7300, memoryGB: 2.5 } }),
        lab(undefined, (ctx) => ({ hostId: JSON.stringify(ctx.cluster.memoryReservations()), port: 0, baseUrl: '' })),
      ],
    });
    const r = (await (await k.fetch('/api/plugins/lab/where')).json()) as { hostId: string };
    expect(JSON.parse(r.hostId)).toEqual(expect.arrayContaining([
      { service: 'asr-svc', plugin: 'asr', hostId: 'spark-2', memoryGB: 6 },
      { service: 'moved-db', plugin: 'db', hostId: 'spark-1', memoryGB: 2.5 },
    ]));
    expect(JSON.parse(r.hostId)).toHaveLength(2);
    // A stopped plugin's services hold nothing.
    expect((await k.fetch('/api/plugins/asr/disable', { method: 'POST' })).status).toBe(200);
    const after = (await (await k.fetch('/api/plugins/lab/where')).json()) as { hostId: string };
    expect(JSON.parse(after.hostId)).toEqual([{ service: 'moved-db', plugin: 'db', hostId: 'spark-1', memoryGB: 2.5 }]);
  });

  it('keeps what the owner set in the services map over what the manifest declares, live, and refuses one that is not a number of GB', async () => {
    k = await createTestKernel({
      simulate: false,
      config: { hosts, services: { 'asr-svc': { hostId: 'spark-2', memoryGB: 9 }, 'no-memory': { hostId: 'spark-2', memoryGB: 1.5 } } },
      plugins: [
        holder('asr', { 'asr-svc': { hostId: 'spark-2', port: 7200, memoryGB: 6 }, 'no-memory': { hostId: 'spark-2', port: 7201 }, 'kept': { hostId: 'spark-2', port: 7202, memoryGB: 2 } }),
        lab(undefined, (ctx) => ({ hostId: JSON.stringify(ctx.cluster.memoryReservations()), port: 0, baseUrl: '' })),
      ],
    });
    const reservations = async () => JSON.parse(((await (await k!.fetch('/api/plugins/lab/where')).json()) as { hostId: string }).hostId) as Array<{ service: string; memoryGB: number }>;
    const gbOf = async () => Object.fromEntries((await reservations()).map((x) => [x.service, x.memoryGB]));
    // The owner's 9 GB over the manifest's 6; a service that declared none keeps what the owner says; the rest as declared.
    expect(await gbOf()).toEqual({ 'asr-svc': 9, 'no-memory': 1.5, kept: 2 });
    const put = (services: unknown) => k!.fetch('/api/config/cluster', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hosts, services }) });
    for (const bad of [-1, 'lots', 20_000]) {
      const res = await put({ 'asr-svc': { hostId: 'spark-2', memoryGB: bad } });
      expect(res.status, String(bad)).toBe(400);
      expect(JSON.stringify(await res.json()), String(bad)).toContain('services.asr-svc.memoryGB');
    }
    expect(await gbOf()).toEqual({ 'asr-svc': 9, 'no-memory': 1.5, kept: 2 }); // nothing invalid was kept
    // Blank is "what its plugin declares"; a change applies without a restart.
    expect((await put({ 'asr-svc': { hostId: 'spark-2', memoryGB: '' }, kept: { hostId: 'spark-2', memoryGB: 0 } })).status).toBe(200);
    expect(await gbOf()).toEqual({ 'asr-svc': 6 });
  });

  it('refuses a memoryGB that is not a number of GB, naming the field', async () => {
    k = await createTestKernel({ simulate: false, config: { hosts }, plugins: [lab({ 'lab-upstream': { hostId: 'spark-2', port: 7001, memoryGB: -1 } })] });
    const list = (await (await k.fetch('/api/plugins')).json()) as Array<{ id: string; error?: { code: string; message: string } }>;
    expect(list.find((p) => p.id === 'lab')).toMatchObject({ error: { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'manifest.services.lab-upstream.memoryGB must be a number of GB (0–10000)' } });
  });
});
