import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SPARK_PLUGIN_API_VERSION } from '../../core/src/api/definePlugin.js';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

/** `npm run new-plugin` output, used the way an outside author would: its own package.json, its own build, its own
 *  tests against @spark-control/plugin-api (the package built from this checkout), then installed into a running
 *  Spark Control from a plugins folder. Nothing is downloaded: "npm install" is simulated by linking the generated
 *  package's devDependencies from this repo's node_modules. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const apiPkg = join(root, 'dist/plugin-api');
const timings: Record<string, number> = {};

function timed<T>(label: string, fn: () => T): T {
  const t0 = Date.now();
  try { return fn(); } finally { timings[label] = Date.now() - t0; }
}

function scaffold(args: string[]) {
  return spawnSync(process.execPath, [join(root, 'scripts/new-plugin.mjs'), ...args], { encoding: 'utf8' });
}

/** What `npm install` would leave: each devDependency resolvable from the plugin folder. */
function linkDependencies(dir: string) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.devDependencies)) {
    const dest = join(dir, 'node_modules', dep);
    mkdirSync(dirname(dest), { recursive: true });
    symlinkSync(dep === '@spark-control/plugin-api' ? apiPkg : join(root, 'node_modules', dep), dest, 'dir');
  }
}

/** The generated commands, run as a child with none of this vitest run's environment leaking in. */
function run(dir: string, script: string, args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'));
  const r = spawnSync(process.execPath, [script, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  timed('build plugin-api', () => execFileSync(process.execPath, [join(root, 'scripts/build-plugin-api.mjs'), '--quiet'], { cwd: root, stdio: 'inherit', timeout: 60_000 }));
}, 90_000);

describe('plugin scaffold', () => {
  it('refuses bad names and existing folders with a clear message', () => {
    const parent = mkdtempSync(join(tmpdir(), 'scaffold-bad-'));
    for (const [name, words] of [['Comfy', 'invalid name'], ['a', 'invalid name'], ['9lives', 'invalid name'], ['my_plugin', 'invalid name'], ['../evil', 'invalid name'],
      ['x'.repeat(33), 'invalid name'], ['trailing-', 'trailing'], ['vllm', 'built-in plugin id']] as const) {
      const r = scaffold([name, '--dir', parent]);
      expect(r.status, name).toBe(2);
      expect(r.stderr, name).toContain(words);
    }
    expect(scaffold(['--dir', parent]).stderr).toContain('give the plugin a name');
    expect(scaffold(['ok-name', '--dir', parent]).status).toBe(0);
    const again = scaffold(['ok-name', '--dir', parent]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('generates a plugin that builds, type-checks and passes its own tests, then runs in Spark Control from a plugins folder', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'scaffold-'));
    const r = timed('scaffold', () => scaffold(['lab-notes', '--dir', parent, '--api', `file:${apiPkg}`]));
    expect(r.status, r.stderr).toBe(0);
    const dir = join(parent, 'spark-control-plugin-lab-notes');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'spark-control-plugin-lab-notes', keywords: ['spark-control-plugin'], sparkControl: { apiVersion: `^${SPARK_PLUGIN_API_VERSION}`, main: 'dist/index.js', ui: 'dist/ui' } });
    expect(pkg.devDependencies['@spark-control/plugin-api']).toBe(`file:${apiPkg}`);
    linkDependencies(dir);

    timed('build', () => run(dir, 'build.mjs', []));
    timed('tsc', () => run(dir, join(dir, 'node_modules/typescript/bin/tsc'), ['--noEmit', '-p', dir]));
    const out = timed('vitest', () => run(dir, join(dir, 'node_modules/vitest/vitest.mjs'), ['run', '--reporter=verbose']));
    expect(out).toMatch(/7 passed/);
    expect(out).toContain('keeps the plugin contract as built');
    expect(statSync(join(dir, 'dist/ui/tile.js')).size).toBeGreaterThan(100);
    // One Lit copy: the tile must take lit from the dashboard's import map, not bundle it.
    expect(readFileSync(join(dir, 'dist/ui/tile.js'), 'utf8')).toMatch(/from\s*"lit"/);

    // Installed like a user would: package.json + dist/ in <plugins>/lab-notes/.
    const pluginsDir = mkdtempSync(join(tmpdir(), 'scaffold-plugins-'));
    cpSync(join(dir, 'package.json'), join(pluginsDir, 'lab-notes', 'package.json'));
    cpSync(join(dir, 'dist'), join(pluginsDir, 'lab-notes', 'dist'), { recursive: true });
    const k = await createTestKernel({ pluginsDir, plugins: [] });
    try {
      const list = (await (await k.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; source: string; version: string }>;
      expect(list.find((p) => p.id === 'lab-notes')).toMatchObject({ state: 'running', source: 'dir', version: '0.1.0' });
      expect(await (await k.fetch('/api/plugins/lab-notes/status')).json()).toMatchObject({ greeting: 'Hello from Lab notes', version: '1.0.0-sim' });
      expect(await (await k.fetch('/api/ui/tiles')).json()).toContainEqual(expect.objectContaining({ plugin: 'lab-notes', tag: 'spark-lab-notes-tile' }));
      const tile = await k.fetch('/plugins/lab-notes/ui/tile.js');
      expect(tile.status).toBe(200);
      expect(await tile.text()).toContain('spark-lab-notes-tile');
      const deadline = Date.now() + 5000;
      let health: { checks?: Array<{ name: string; status: string }> } = {};
      while (!health.checks?.length && Date.now() < deadline) {
        health = await (await k.fetch('/api/plugins/lab-notes/health')).json();
        if (!health.checks?.length) await new Promise((res) => setTimeout(res, 50));
      }
      expect(health.checks?.[0]).toMatchObject({ name: 'lab-notes', status: 'up' });
    } finally {
      await k.stop();
    }
    console.log(`[sdk] scaffold ${timings.scaffold} ms, build ${timings.build} ms, tsc ${timings.tsc} ms, generated tests ${timings.vitest} ms (plugin-api build ${timings['build plugin-api']} ms)`);
  }, 240_000);

  it('packs @spark-control/plugin-api as its own package with types, the testing entry and zod as a peer', () => {
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: apiPkg, encoding: 'utf8' })) as Array<{ name: string; version: string; size: number; files: Array<{ path: string; mode: number }> }>;
    const pkg = JSON.parse(readFileSync(join(apiPkg, 'package.json'), 'utf8'));
    const apiVersion = /SPARK_PLUGIN_API_VERSION = '([^']+)'/.exec(readFileSync(join(root, 'core/src/api/definePlugin.ts'), 'utf8'))![1];
    expect(info).toMatchObject({ name: '@spark-control/plugin-api', version: apiVersion });
    expect(pkg.exports['.']).toEqual({ types: './types/core/src/api/index.d.ts', import: './lib/index.js' });
    expect(pkg.exports['./testing']).toEqual({ types: './types/core/src/testing/index.d.ts', import: './lib/testing.js' });
    expect(pkg.peerDependencies).toEqual({ zod: expect.any(String) });
    expect(pkg.dependencies.zod).toBeUndefined();
    const files = new Map(info.files.map((f) => [f.path, f.mode]));
    for (const f of ['lib/index.js', 'lib/testing.js', 'types/core/src/api/index.d.ts', 'types/core/src/api/types.d.ts', 'types/core/src/testing/index.d.ts', 'dist/ui/index.html']) expect(files.has(f), f).toBe(true);
    // The simulated Sparks run these fakes with bash: they must stay executable inside the tarball.
    expect((files.get('sim/fakeroot/bin/docker') ?? 0) & 0o111).not.toBe(0);
    // Only the public surface is typed: no kernel internals in the declarations.
    expect([...files.keys()].filter((f) => f.startsWith('types/') && !/^types\/core\/src\/(api|testing)\//.test(f))).toEqual([]);
    // Every import in the declarations resolves inside the package, to node, or to a declared (peer) dependency —
    // otherwise a consumer with skipLibCheck would silently get `any`.
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    for (const f of [...files.keys()].filter((x) => x.endsWith('.d.ts'))) {
      const src = readFileSync(join(apiPkg, f), 'utf8');
      for (const [, spec] of src.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)) {
        if (spec.startsWith('.')) expect(files.has(join(dirname(f), spec.replace(/\.js$/, '.d.ts'))), `${f} → ${spec}`).toBe(true);
        else if (!spec.startsWith('node:')) expect(declared.has(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]), `${f} → ${spec}`).toBe(true);
      }
    }
    expect(info.size).toBeLessThan(200 * 1024);
    console.log(`[sdk] @spark-control/plugin-api ${info.version}: ${(info.size / 1024).toFixed(0)} KiB packed, ${info.files.length} files`);
  });
});
