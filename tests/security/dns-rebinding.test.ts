import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const target = () => defineSparkPlugin({
  manifest: { id: 'target', name: 'target', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({ level: z.number().int().min(1).max(5).default(3) }),
  register(ctx) {
    ctx.routes.add({ method: 'GET', path: '/read' }, () => ({ secret: 'plugin data' }));
  },
});

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

async function send(method: 'GET' | 'PUT' | 'POST', path: string, headers: Record<string, string>, body?: string) {
  const r = await request(`${k!.url}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body });
  const text = await r.body.text();
  return { status: r.statusCode, text };
}

describe('DNS rebinding: the Host header is checked', () => {
  it('a foreign Host is refused for writes and reads, and nothing changes', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const evil = `evil.example:${k.port}`;
    const put = await send('PUT', '/api/config/plugins/target', { host: evil, origin: `http://${evil}` }, '{"level":5}');
    expect(put.status).toBe(403);
    expect(put.text).toContain('SPK_HOST_NOT_ALLOWED');
    expect(put.text).toContain('SPARK_ALLOWED_HOSTS');
    for (const path of ['/api/config', '/api/plugins/target/read', '/api/plugins', '/', '/metrics']) {
      const r = await send('GET', path, { host: evil });
      expect(r.status, path).toBe(403);
      expect(r.text, path).not.toContain('plugin data');
    }
    const cfg = await send('GET', '/api/config', {});
    expect(JSON.parse(cfg.text).plugins.target.level).toBe(3);
  });

  it('loopback names, IP literals, the machine\'s .local and .onion names are allowed', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    for (const host of [`127.0.0.1:${k.port}`, `localhost:${k.port}`, `[::1]:${k.port}`, `LOCALHOST:${k.port}`, `192.168.1.20:${k.port}`, '[fd00::5]:9999',
      `my-server.local:${k.port}`, 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion']) {
      const r = await send('GET', '/api/plugins/target/read', { host });
      expect(r.status, host).toBe(200);
    }
    const ok = await send('PUT', '/api/config/plugins/target', { host: `my-server.local:${k.port}`, origin: `http://my-server.local:${k.port}` }, '{"level":4}');
    expect(ok.status).toBe(200);
  });

  it('names added by SPARK_ALLOWED_HOSTS (exact, or .suffix for a whole domain) are allowed', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()], allowedHosts: ['spark.example.com', '.lan.example'] });
    expect((await send('GET', '/api/plugins/target/read', { host: 'spark.example.com' })).status).toBe(200);
    expect((await send('GET', '/api/plugins/target/read', { host: `box.lan.example:${k.port}` })).status).toBe(200);
    expect((await send('GET', '/api/plugins/target/read', { host: 'spark.example.com.evil.example' })).status).toBe(403);
    expect((await send('GET', '/api/plugins/target/read', { host: 'lan.example.evil' })).status).toBe(403);
  });
});

describe('same origin includes the scheme', () => {
  it('an https:// Origin on this http listener is refused, unless a TLS proxy in front says the request came over https', async () => {
    k = await createTestKernel({ simulate: false, plugins: [target()] });
    const host = `127.0.0.1:${k.port}`;
    const https = await send('PUT', '/api/config/plugins/target', { origin: `https://${host}` }, '{"level":2}');
    expect(https.status).toBe(403);
    expect(https.text).toContain('SPK_CSRF');
    const same = await send('PUT', '/api/config/plugins/target', { origin: `http://${host}` }, '{"level":2}');
    expect(same.status).toBe(200);
    const proxied = await send('PUT', '/api/config/plugins/target', { origin: `https://${host}`, 'x-forwarded-proto': 'https' }, '{"level":1}');
    expect(proxied.status).toBe(200);
    const mixed = await send('PUT', '/api/config/plugins/target', { origin: `http://${host}`, 'x-forwarded-proto': 'https' }, '{"level":1}');
    expect(mixed.status).toBe(403);
    // Behind a TLS proxy that does not say which address was used (SPARK_TLS_PROXY=1, the StartOS package), both are ours.
    process.env.SPARK_TLS_PROXY = '1';
    try {
      expect((await send('PUT', '/api/config/plugins/target', { origin: `https://${host}` }, '{"level":2}')).status).toBe(200);
      expect((await send('PUT', '/api/config/plugins/target', { origin: `http://${host}` }, '{"level":2}')).status).toBe(200);
      expect((await send('PUT', '/api/config/plugins/target', { origin: 'https://evil.example' }, '{"level":2}')).status).toBe(403);
    } finally {
      delete process.env.SPARK_TLS_PROXY;
    }
  });
});
