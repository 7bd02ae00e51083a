import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SPARK_PLUGIN_API_VERSION } from '../../core/src/api/definePlugin.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** Third-party plugins that go wrong in each way the kernel distinguishes, installed next to the built-ins and a
 *  working third-party plugin: each is shown with its reason, and everything else keeps working. */
const acme = fileURLToPath(new URL('../fixtures/spark-control-plugin-acme', import.meta.url));

/** A built plugin folder as an author would ship it (plain ESM that brands itself like defineSparkPlugin does). */
function installPlugin(pluginsDir: string, folder: string, manifest: Record<string, unknown>, register: string, tile?: string) {
  const dir = join(pluginsDir, folder);
  mkdirSync(join(dir, 'dist', 'ui'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `spark-control-plugin-${folder}`, version: manifest.version, type: 'module', keywords: ['spark-control-plugin'], sparkControl: { apiVersion: manifest.apiVersion, main: 'dist/index.js', ui: 'dist/ui' } }));
  writeFileSync(join(dir, 'dist', 'index.js'), `const configSchema = { safeParse: (v) => ({ success: true, data: v ?? {} }) };
export default Object.freeze({ $$type: 'spark-control/plugin@1', manifest: ${JSON.stringify(manifest)}, configSchema, register(ctx) { ${register} } });\n`);
  if (tile) writeFileSync(join(dir, 'dist', 'ui', 'tile.js'), tile);
}

describeBrowser('third-party plugins that fail, in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const pluginsDir = mkdtempSync(join(tmpdir(), 'spark-e2e-plugins-'));
    installPlugin(pluginsDir, 'from-future', { id: 'from-future', name: 'From the future', version: '3.0.0', apiVersion: '^9.0.0' }, '');
    installPlugin(pluginsDir, 'cluster-clone', { id: 'cluster', name: 'Cluster clone', version: '0.0.1', apiVersion: '^2.0.0' }, '');
    installPlugin(pluginsDir, 'crashy', { id: 'crashy', name: 'Crashy', version: '0.2.0', apiVersion: '^2.0.0' },
      `ctx.routes.add({ method: 'GET', path: '/x' }, () => 1); throw new Error('crashy: could not read its catalog (on purpose)');`);
    installPlugin(pluginsDir, 'broken-tile', { id: 'broken-tile', name: 'Broken tile', version: '1.0.0', apiVersion: '^2.0.0' },
      `ctx.tiles.register({ tag: 'spark-broken-tile-x', module: 'tile.js', title: 'Broken tile', order: 1 });`,
      'throw new Error("tile module exploded on purpose");\n');
    cpSync(acme, join(pluginsDir, 'acme'), { recursive: true });
    // A generous poll timeout: on a busy 2-core CI box a 1.5 s SSH poll can miss, and this test is not about outages.
    k = await createTestKernel({ plugins: ['cluster', 'matrix-bridge'], pluginsDir, config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 4000 } } } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('renders the working tiles and an error tile for the module that throws', async () => {
    await page.goto(k.url + '/');
    await page.locator('spark-matrix-bridge-tile [data-testid="bot-state"]:has-text("running")').waitFor({ timeout: 15_000 });
    await page.locator('spark-cluster-tile .card[data-host="spark-1"]').waitFor({ timeout: 15_000 });
    await page.locator('spark-acme-tile .acme:has-text("hello from acme")').waitFor();
    const err = page.locator('spark-tile-frame [data-testid="tile-error"]');
    await err.waitFor();
    expect(await err.count()).toBe(1);
    expect(await err.textContent()).toContain('exploded on purpose');
    // Tiles of plugins that never started are not on the dashboard at all.
    const titles = await page.locator('spark-tile-frame h2').allTextContents();
    expect(titles).not.toContain('Crashy');
    // ...but the dashboard names them and points at the reason.
    const notice = page.locator('spark-dashboard [data-testid="broken-plugins"]');
    await notice.waitFor();
    const said = (await notice.textContent())!.replace(/\s+/g, ' ');
    for (const name of ['From the future (incompatible)', 'Crashy (failed)', 'Cluster clone (failed)']) expect(said).toContain(name);
    expect(await notice.locator('a').getAttribute('href')).toBe('#/plugins');
    // The working tiles still work: toggling a simulated Spark flips its card.
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="sim-toggle"]').click();
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="reach"]:has-text("unreachable")').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('third-party-dashboard.png'), fullPage: true });
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="sim-toggle"]').click();
  });

  it('lists every third-party plugin with source, version, API range, state and why it is not running', async () => {
    await page.goto(k.url + '/#/plugins');
    const row = (id: string) => page.locator(`spark-plugins-page tr[data-plugin="${id}"]`);
    await row('acme').waitFor();
    const text = async (id: string, sel: string) => ((await row(id).locator(sel).textContent()) ?? '').replace(/\s+/g, ' ').trim();

    expect(await text('acme', '.state')).toBe('running');
    expect(await text('acme', '[data-testid="source"]')).toBe('plugins folder');
    expect(await text('acme', '[data-testid="version"]')).toBe('0.3.0');

    expect(await text('from-future', '.state')).toBe('incompatible');
    expect(await text('from-future', '[data-testid="why"]')).toContain(`needs plugin API ^9.0.0, this Spark Control provides ${SPARK_PLUGIN_API_VERSION}`);
    expect(await text('from-future', '[data-testid="api"]')).toContain('^9.0.0');
    expect(await text('from-future', '[data-testid="api"]')).toContain(`provides ${SPARK_PLUGIN_API_VERSION}`);

    const dupe = page.locator('spark-plugins-page tr[data-plugin^="cluster@dir"]');
    expect(((await dupe.locator('.state').textContent()) ?? '').trim()).toBe('failed');
    expect(await dupe.locator('[data-testid="why"]').textContent()).toContain('SPK_PLUGIN_DUPLICATE_ID');
    expect(await dupe.locator('[data-testid="why"]').textContent()).toContain('already provided by the builtin plugin');
    expect(await text('cluster', '.state')).toBe('running');

    expect(await text('crashy', '.state')).toBe('failed');
    expect(await text('crashy', '[data-testid="why"]')).toContain('could not read its catalog');
    // Its routes answer 503 naming the state, never a half-registered handler.
    expect((await k.fetch('/api/plugins/crashy/x')).status).toBe(503);

    // Restarting cannot fix an incompatible or duplicate plugin: the buttons say so instead of failing on click.
    expect(await row('from-future').locator('button:has-text("Restart")').isDisabled()).toBe(true);
    expect(await dupe.locator('button:has-text("Restart")').isDisabled()).toBe(true);
    expect(await row('crashy').locator('button:has-text("Restart")').isDisabled()).toBe(false);
    await page.screenshot({ path: screenshotPath('third-party-plugins.png'), fullPage: true });
    expect(pageErrors.filter((e) => !e.includes('exploded on purpose'))).toEqual([]);
  });
});
