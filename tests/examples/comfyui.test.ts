import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

/** The ComfyUI example is built and installed exactly as an outside author would ship it, then loaded by a running
 *  Spark Control from a plugins folder and from an npm tarball; its own simulator answers on the simulated cluster. */
const example = fileURLToPath(new URL('../../examples/comfyui', import.meta.url));

beforeAll(() => {
  execFileSync(process.execPath, ['build.mjs'], { cwd: example, stdio: 'inherit' });
}, 60_000);

async function exercise(pluginsDir: string, source: 'dir' | 'npm') {
  const k = await createTestKernel({ pluginsDir, plugins: [] });
  try {
    const all = (await (await k.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; source: string; version: string; apiVersion: string }>;
    const p = all.find((x) => x.id === 'comfyui');
    expect(p).toMatchObject({ state: 'running', source, version: '0.1.0', apiVersion: '^2.0.0' });
    expect(await (await k.fetch('/api/plugins/comfyui/queue')).json()).toEqual({ running: 0, pending: 0 });
    expect((await (await k.fetch('/api/plugins/comfyui/stats')).json()).devices[0].name).toContain('GB10');
    const queued = await (await k.fetch('/api/plugins/comfyui/proxy/prompt', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: {} }) })).json();
    expect(queued.prompt_id).toBeTruthy();
    expect((await (await k.fetch('/api/plugins/comfyui/recent?limit=2')).json()).images.length).toBeGreaterThan(0);
    expect((await k.fetch('/api/plugins/comfyui/proxy/..%2f..%2fetc')).status).toBe(400);
    const tiles = await (await k.fetch('/api/ui/tiles')).json();
    expect(tiles).toContainEqual(expect.objectContaining({ plugin: 'comfyui', tag: 'spark-comfyui-tile' }));
    expect((await k.fetch('/plugins/comfyui/ui/tile.js')).status).toBe(200);
    const bad = await k.fetch('/api/config/plugins/comfyui', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ port: 0 }) });
    expect(bad.status).toBe(400);
  } finally {
    await k.stop();
  }
}

describe('third-party example: ComfyUI', () => {
  it('loads from a plugins folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugins-'));
    cpSync(join(example, 'package.json'), join(dir, 'comfyui', 'package.json'));
    cpSync(join(example, 'dist'), join(dir, 'comfyui', 'dist'), { recursive: true });
    await exercise(dir, 'dir');
  });

  it('loads from an npm tarball named spark-control-plugin-comfyui', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugins-'));
    const packDir = mkdtempSync(join(tmpdir(), 'pack-'));
    execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: example, stdio: 'ignore' });
    const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
    expect(tgz).toBe('spark-control-plugin-comfyui-0.1.0.tgz');
    const dest = join(dir, 'node_modules', 'spark-control-plugin-comfyui');
    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', join(packDir, tgz), '-C', dest, '--strip-components=1']);
    await exercise(dir, 'npm');
  });
});
