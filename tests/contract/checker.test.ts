import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, type PluginContext, type SparkPlugin } from '../../core/src/api/index.js';
import { checkPluginContract, formatProblems, type ContractCode } from '../../core/src/testing/checkPluginContract.js';

/** Each deliberate mistake is reported with its stable code, and a plugin that keeps the contract gets none. */
const manifest = { id: 'probe', name: 'Probe', version: '1.0.0', apiVersion: '^2.0.0' };
const plugin = (register: (ctx: PluginContext<any>) => void | Promise<void>, over: Partial<SparkPlugin> = {}) =>
  ({ ...defineSparkPlugin({ manifest, configSchema: z.object({ n: z.number().default(1) }), register }), ...over }) as SparkPlugin;
const good = plugin((ctx) => {
  ctx.routes.add({ method: 'GET', path: '/ping' }, () => ({ ok: true }));
  ctx.health.register({ name: 'self', intervalMs: 10_000, timeoutMs: 1000, check: async () => ({ status: 'up' }) });
  ctx.tiles.register({ tag: 'spark-probe-tile', module: 'tile.js', title: 'Probe' });
});
const codes = (ps: Array<{ code: ContractCode }>) => ps.map((p) => p.code);

describe('checkPluginContract', () => {
  it('finds nothing wrong with a plugin that keeps the contract', async () => {
    const problems = await checkPluginContract(good);
    expect(problems, formatProblems(problems)).toEqual([]);
  });

  const cases: Array<[string, unknown, ContractCode]> = [
    ['an object not made with defineSparkPlugin', { manifest }, 'SPK_CONTRACT_NOT_A_PLUGIN'],
    ['an id with capitals', plugin(() => {}, { manifest: { ...manifest, id: 'Probe_1' } }), 'SPK_CONTRACT_MANIFEST_ID'],
    ['no name', plugin(() => {}, { manifest: { ...manifest, name: '' } }), 'SPK_CONTRACT_MANIFEST_NAME'],
    ['a version that is not semver', plugin(() => {}, { manifest: { ...manifest, version: 'v1' } }), 'SPK_CONTRACT_MANIFEST_VERSION'],
    ['an API range that is not a range', plugin(() => {}, { manifest: { ...manifest, apiVersion: 'latest' } }), 'SPK_CONTRACT_API_RANGE'],
    ['an API range this kernel does not satisfy', plugin(() => {}, { manifest: { ...manifest, apiVersion: '^9.0.0' } }), 'SPK_CONTRACT_API_MISMATCH'],
    ['a config schema that is not zod', plugin(() => {}, { configSchema: {} as never }), 'SPK_CONTRACT_CONFIG_SCHEMA'],
    ['a config field without default', plugin(() => {}, { configSchema: z.object({ port: z.number() }) }), 'SPK_CONTRACT_CONFIG_DEFAULTS'],
  ];
  for (const [what, p, code] of cases) {
    it(`reports ${what} as ${code}`, async () => {
      const problems = await checkPluginContract(p as SparkPlugin);
      expect(codes(problems), formatProblems(problems)).toEqual([code]);
      expect(problems[0].message.length).toBeGreaterThan(20);
    });
  }

  it('reports a route outside the prefix, an undeclared public prefix, a tile tag without prefix and a health check without timeout, all in one run', async () => {
    const p = plugin((ctx) => {
      ctx.routes.add({ method: 'GET', path: 'stats' }, () => ({}));
      ctx.publicRoutes('/v2/probe').add({ method: 'GET', path: '' }, () => ({}));
      ctx.tiles.register({ tag: 'spark-other-tile', module: 'tile.js', title: 'Probe' });
      ctx.health.register({ name: 'upstream', check: async () => ({ status: 'up' }) });
    });
    const problems = await checkPluginContract(p);
    expect(codes(problems).sort(), formatProblems(problems)).toEqual(['SPK_CONTRACT_HEALTH_TIMEOUT', 'SPK_CONTRACT_PUBLIC_ROUTE_UNDECLARED', 'SPK_CONTRACT_ROUTE_PREFIX', 'SPK_CONTRACT_TILE_TAG']);
    expect(formatProblems(problems)).toContain('/api/plugins/probestats');
    expect(formatProblems(problems)).toContain('spark-probe-');
    // Declared, the public prefix is fine.
    expect(codes(await checkPluginContract(p, { publicPrefixes: ['/v2/probe'] }))).not.toContain('SPK_CONTRACT_PUBLIC_ROUTE_UNDECLARED');
  });

  it('reports network I/O through ctx during register', async () => {
    const p = plugin(async (ctx) => {
      await ctx.http.fetchJson({ service: 'x', baseUrl: 'http://127.0.0.1:9' }, '/', z.unknown());
    });
    const problems = await checkPluginContract(p);
    expect(codes(problems), formatProblems(problems)).toEqual(['SPK_CONTRACT_IO_DURING_REGISTER']);
    expect(problems[0].message).toContain('http.fetchJson');
  });

  it('reports (and blocks) raw network I/O during register, even when not awaited', async () => {
    let outcome = '';
    const p = plugin(() => {
      fetch('http://192.0.2.1:8188/queue').then(() => { outcome = 'connected'; }, (e) => { outcome = String(e?.cause?.code ?? e); });
    });
    const problems = await checkPluginContract(p);
    expect(codes(problems), formatProblems(problems)).toEqual(['SPK_CONTRACT_IO_DURING_REGISTER']);
    expect(problems[0].message).toContain('192.0.2.1:8188');
    expect(outcome).toBe('SPK_IO_DURING_REGISTER');
  });

  it('does not blame later I/O (onStart, health checks) on register', async () => {
    const p = plugin((ctx) => {
      ctx.lifecycle.onStart(async () => { await fetch('http://127.0.0.1:9/').catch(() => {}); });
    });
    const problems = await checkPluginContract(p);
    expect(problems, formatProblems(problems)).toEqual([]);
  });

  it('reports a register that throws, and an onStart that fails as a warning', async () => {
    const crash = await checkPluginContract(plugin(() => { throw new Error('boom in register'); }));
    expect(codes(crash)).toEqual(['SPK_CONTRACT_REGISTER_FAILED']);
    expect(crash[0].message).toContain('boom in register');
    const start = await checkPluginContract(plugin((ctx) => ctx.lifecycle.onStart(() => { throw new Error('no upstream'); })));
    expect(start).toMatchObject([{ code: 'SPK_CONTRACT_START_FAILED', severity: 'warning' }]);
  });

  it('passes a shipped third-party package folder (the acme fixture) as it is', async () => {
    const problems = await checkPluginContract(fileURLToPath(new URL('../fixtures/spark-control-plugin-acme', import.meta.url)));
    expect(problems, formatProblems(problems)).toEqual([]);
  });

  it('checks a plugin folder: package.json, entry, tile module on disk and served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-dir-'));
    mkdirSync(join(dir, 'dist', 'ui'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe-plugin', type: 'module', sparkControl: { apiVersion: '~2.0.0', main: 'dist/index.js', ui: 'dist/ui' } }));
    writeFileSync(join(dir, 'dist', 'index.js'), `export default Object.freeze({ $$type: 'spark-control/plugin@1',
      manifest: { id: 'probe', name: 'Probe', version: '1.0.0', apiVersion: '^2.0.0' },
      configSchema: { safeParse: (v) => ({ success: true, data: v ?? {} }) },
      register(ctx) {
        ctx.tiles.register({ tag: 'spark-probe-tile', module: 'tile.js', title: 'Probe' });
        ctx.tiles.register({ tag: 'spark-probe-other', module: 'other.js', title: 'Other' });
      } });`);
    writeFileSync(join(dir, 'dist', 'ui', 'tile.js'), 'export {};');
    const problems = await checkPluginContract(dir);
    const text = formatProblems(problems);
    expect(codes(problems).sort(), text).toEqual(['SPK_CONTRACT_PACKAGE', 'SPK_CONTRACT_PACKAGE', 'SPK_CONTRACT_PACKAGE', 'SPK_CONTRACT_TILE_MODULE', 'SPK_CONTRACT_TILE_MODULE']);
    expect(text).toContain('keywords');
    expect(text).toContain('spark-control-plugin-<name>');
    expect(text).toContain('differs from manifest.apiVersion');
    expect(text).toContain('other.js not found');
    expect(text).toContain('never mentions <spark-probe-tile>');
    expect(await checkPluginContract(join(dir, 'missing'))).toMatchObject([{ code: 'SPK_CONTRACT_NOT_A_PLUGIN' }]);
  });
});
