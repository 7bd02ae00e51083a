import { cpSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const fixture = fileURLToPath(new URL('../fixtures/spark-control-plugin-acme', import.meta.url));
let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

async function waitHealthy(kk: TestKernel) {
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    const h = await (await kk.fetch('/api/plugins/acme/health')).json();
    if (h.checks?.length) return h;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no health');
}

describe('third-party plugin discovery', () => {
  for (const layout of ['folder', 'npm'] as const) {
    it(`loads a plugin from the plugins ${layout === 'folder' ? 'directory' : 'node_modules'} with route, tile, health and config`, async () => {
      const pluginsDir = mkdtempSync(join(tmpdir(), 'spark-plugins-'));
      const dest = layout === 'folder' ? join(pluginsDir, 'acme') : join(pluginsDir, 'node_modules', 'spark-control-plugin-acme');
      mkdirSync(dest, { recursive: true });
      cpSync(fixture, dest, { recursive: true });
      k = await createTestKernel({ simulate: false, pluginsDir, config: { plugins: { acme: { greeting: 'howdy' } } } });
      const list = (await (await k.fetch('/api/plugins')).json()) as any[];
      expect(list.find((p) => p.id === 'acme')).toMatchObject({ state: 'running', source: layout === 'folder' ? 'dir' : 'npm', version: '0.3.0', apiVersion: '^2.0.0' });
      expect((await (await k.fetch('/api/plugins/acme/hello')).json()).message).toBe('howdy from acme');
      const tiles = await (await k.fetch('/api/ui/tiles')).json();
      expect(tiles).toContainEqual(expect.objectContaining({ plugin: 'acme', tag: 'spark-acme-tile', moduleUrl: '/plugins/acme/ui/tile.js' }));
      const mod = await k.fetch('/plugins/acme/ui/tile.js');
      expect(mod.status).toBe(200);
      expect(mod.headers.get('content-type')).toContain('javascript');
      expect((await waitHealthy(k)).checks[0]).toMatchObject({ name: 'self', status: 'up' });
      const bad = await k.fetch('/api/config/plugins/acme', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ greeting: 42 }) });
      expect(bad.status).toBe(400);
      expect((await bad.json()).errors[0].field).toBe('greeting');
    });
  }

  it('reports a plugin folder that does not export a plugin, without affecting the others', async () => {
    const pluginsDir = mkdtempSync(join(tmpdir(), 'spark-plugins-'));
    mkdirSync(join(pluginsDir, 'broken', 'dist'), { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(pluginsDir, 'broken', 'package.json'), JSON.stringify({ name: 'broken', main: 'dist/index.js', type: 'module' }));
    writeFileSync(join(pluginsDir, 'broken', 'dist', 'index.js'), 'export default { hello: 1 };');
    cpSync(fixture, join(pluginsDir, 'acme'), { recursive: true });
    k = await createTestKernel({ simulate: false, pluginsDir });
    const list = (await (await k.fetch('/api/plugins')).json()) as any[];
    expect(list.find((p) => p.name === 'broken')).toMatchObject({ state: 'failed', error: { code: 'SPK_PLUGIN_INVALID' } });
    expect(list.find((p) => p.id === 'acme').state).toBe('running');
  });
});
