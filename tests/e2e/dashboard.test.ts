import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** A third-party-style plugin whose tile module throws on import: the dashboard must show an error tile for it and
 *  keep everything else working. */
const broken = defineSparkPlugin({
  manifest: { id: 'broken-tile', name: 'Broken tile', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) { ctx.tiles.register({ tag: 'spark-broken-tile-x', module: 'tile.js', title: 'Broken tile', order: 1 }); },
});
const incompatible = defineSparkPlugin({
  manifest: { id: 'from-future', name: 'From the future', version: '9.0.0', apiVersion: '^9.0.0' },
  configSchema: z.object({}),
  register() {},
});

describeBrowser('dashboard in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster', 'matrix-bridge', broken, incompatible], config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 1500 } } } });
    const ui = join(k.dataDir, 'inline-ui', 'broken-tile');
    mkdirSync(ui, { recursive: true });
    writeFileSync(join(ui, 'tile.js'), 'throw new Error("tile module exploded on purpose");\n');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('shows the simulated-cluster banner, the running tiles and an error tile for the broken one', async () => {
    await page.goto(k.url + '/');
    await page.locator('spark-app .sim').waitFor();
    await page.locator('spark-matrix-bridge-tile [data-testid="bot-state"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('spark-matrix-bridge-tile [data-testid="bot-state"]').textContent()).toBe('running');
    const err = page.locator('spark-tile-frame [data-testid="tile-error"]');
    await err.waitFor();
    expect(await err.textContent()).toContain('exploded on purpose');
    await page.locator('.live .dot.on').waitFor();
    await page.screenshot({ path: screenshotPath('dashboard.png'), fullPage: true });
    // No inline script was needed: the CSP would have blocked it and logged an error.
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  it('shows one card per Spark with the VPN badge, and a Spark going down', async () => {
    await page.goto(k.url + '/');
    const cards = page.locator('spark-cluster-tile .card');
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] .badge').waitFor({ timeout: 15_000 });
    expect(await cards.count()).toBe(2);
    expect(await page.locator('spark-cluster-tile .card[data-host="spark-2"] .badge').textContent()).toBe('VPN 10.8.0.2');
    expect(await page.locator('spark-cluster-tile .card[data-host="spark-1"] .badge').count()).toBe(0);
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="sim-toggle"]').click();
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="reach"]:has-text("unreachable")').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('cluster-outage.png'), fullPage: true });
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="sim-toggle"]').click();
    await page.locator('spark-cluster-tile .card[data-host="spark-2"] [data-testid="reach"]:has-text("reachable for")').waitFor({ timeout: 10_000 });
  });

  it('lists plugins with state and explains why an incompatible one did not load', async () => {
    await page.goto(k.url + '/#/plugins');
    const row = page.locator('spark-plugins-page tr[data-plugin="from-future"]');
    await row.waitFor();
    expect(await row.locator('.state').textContent()).toBe('incompatible');
    expect(await row.locator('[data-testid="why"]').textContent()).toContain('needs plugin API ^9.0.0');
    await page.screenshot({ path: screenshotPath('plugins.png'), fullPage: true });
  });

  it('shows a server-side validation message next to the settings field', async () => {
    await page.goto(k.url + '/#/settings');
    const form = page.locator('section[data-settings="matrix-bridge"] spark-schema-form');
    await form.waitFor();
    await form.locator('input#containerName').fill('bad name; rm -rf /');
    await form.locator('button[type=submit]').click();
    const msg = form.locator('.err[data-field="containerName"]');
    await msg.waitFor();
    expect(await msg.textContent()).toMatch(/docker container name/);
    // What the user typed stays in the box so they can correct it.
    expect(await form.locator('input#containerName').inputValue()).toBe('bad name; rm -rf /');
    await page.screenshot({ path: screenshotPath('settings-error.png'), fullPage: true });
    const cfg = await (await k.fetch('/api/config')).json();
    expect(cfg.plugins['matrix-bridge'].containerName).toBe('matrix-bot');
  });

  it('is usable on a phone-sized screen (one column, no horizontal scroll)', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(k.url + '/');
    await phone.locator('spark-tile-frame').first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await phone.screenshot({ path: screenshotPath('dashboard-phone.png'), fullPage: true });
    await phone.close();
  });
});
