import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { drawnCharts } from '../helpers/charts.js';

describeBrowser('history charts in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster', 'vllm'], simPreload: true, config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 1500 } } } });
    // Polls and vLLM scrapes first, then half an hour of history steps (their timestamps, not a half-hour wait) and a
    // swap mark in the middle.
    // The figures are made up here (the same series names the plugins declare), so the plot does not depend on how
    // fast the simulated Sparks answer on a loaded machine: what is under test is the chart, the API and the tiles.
    const h = k.app.services.history;
    let i = 0;
    const wave = () => 40 + 30 * Math.sin(i++ / 4);
    h.declare('cluster', { name: 'gpu_util', unit: '%', sample: () => [{ labels: { host: 'spark-1' }, value: wave() }, { labels: { host: 'spark-2' }, value: 10 }] });
    h.declare('cluster', { name: 'memory_used', unit: 'GiB', sample: () => [{ labels: { host: 'spark-1' }, value: 60 + (i % 7) }, { labels: { host: 'spark-2' }, value: 20 }] });
    h.declare('vllm', { name: 'kv_cache', unit: '%', sample: () => [{ labels: { model: 'qwen3-4b' }, value: wave() / 2 }] });
    h.declare('vllm', { name: 'generation_tokens', unit: 'tokens/s', sample: () => [{ labels: { model: 'qwen3-4b' }, value: 30 + wave() }] });
    const now = Date.now();
    for (let t = now - 30 * 60_000; t <= now; t += 60_000) h.step(t);
    h.mark('vllm', 'swap', 'qwen3-4b serving', now - 15 * 60_000);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`draws the Sparks' and the model's series with data points at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url);
      await page.waitForFunction(() => {
        const find = (root: Document | ShadowRoot): boolean => [...root.querySelectorAll('*')].some((el) => (el.tagName === 'SPARK-HISTORY-CHART' && !!el.shadowRoot?.querySelector('canvas')) || (!!el.shadowRoot && find(el.shadowRoot)));
        return find(document);
      }, undefined, { timeout: 30_000 });
      await page.waitForTimeout(500);
      const charts = await drawnCharts(page);
      const bySeries = Object.fromEntries(charts.map((c) => [c.series, c]));
      for (const s of ['cluster.gpu_util', 'cluster.memory_used', 'vllm.kv_cache']) {
        expect(bySeries[s], `${s} chart`).toBeDefined();
        expect(bySeries[s].drawn, `${s} has a line drawn`).toBeGreaterThan(100);
        expect(bySeries[s].width, `${s} fits the viewport`).toBeLessThanOrEqual(viewport.width);
      }
      await page.screenshot({ path: screenshotPath(`history-charts-${label}.png`), fullPage: true });
      await page.close();
    }, 90_000);
  }
});
