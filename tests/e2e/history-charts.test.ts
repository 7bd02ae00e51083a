import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { drawnCharts } from '../helpers/charts.js';

describeBrowser('history charts in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster', 'vllm', 'speech'], simPreload: true, config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 1500 } } } });
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
    h.declare('speech', { name: 'queue', unit: 'requests', sample: () => [{ labels: { service: 'parakeet' }, value: i % 5 }, { labels: { service: 'kokoro' }, value: i % 3 }] });
    h.declare('kernel', { name: 'http_requests', unit: 'req/s', sample: () => wave() / 4 });
    let errors = 0;
    h.declare('kernel', { name: 'http_errors', unit: 'req/s', sample: () => (errors++ % 5 === 0 ? 0.4 : 0) });
    h.declare('kernel', { name: 'rss', unit: 'MB', sample: () => 180 + (i % 9) });
    const now = Date.now();
    for (let t = now - 30 * 60_000; t <= now; t += 60_000) h.step(t);
    h.mark('vllm', 'swap', 'qwen3-4b serving', now - 15 * 60_000);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  /** Waits until each of `series` has a chart with its line drawn, and gives every chart on the page. */
  async function chartsDrawn(page: Page, series: string[]) {
    let charts: Awaited<ReturnType<typeof drawnCharts>> = [];
    await expect.poll(async () => {
      charts = await drawnCharts(page);
      return series.filter((s) => !charts.some((c) => c.series === s && c.drawn > 100));
    }, { timeout: 30_000, interval: 250 }).toEqual([]);
    return Object.fromEntries(charts.map((c) => [c.series, c]));
  }

  for (const [label, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`draws the Sparks', the model's and the speech queue's series with data points at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url);
      const series = ['cluster.gpu_util', 'cluster.memory_used', 'vllm.kv_cache', 'speech.queue'];
      const bySeries = await chartsDrawn(page, series);
      for (const s of series) expect(bySeries[s].width, `${s} fits the viewport`).toBeLessThanOrEqual(viewport.width);
      // Both services' queues are lines of the one chart, named as the tile names them.
      const legend = await page.locator('spark-speech-tile spark-history-chart .u-legend').innerText();
      expect(legend).toContain('Transcription');
      expect(legend).toContain('Voice');
      await page.screenshot({ path: screenshotPath(`history-charts-${label}.png`), fullPage: true });
      await page.close();
    }, 90_000);

    it(`draws Spark Control's own requests, errors and memory on the Plugins page at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(`${k.url}/#/plugins`);
      const series = ['kernel.http_requests', 'kernel.http_errors', 'kernel.rss'];
      const bySeries = await chartsDrawn(page, series);
      for (const s of series) expect(bySeries[s].width, `${s} fits the viewport`).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: screenshotPath(`kernel-charts-${label}.png`), fullPage: true });
      await page.close();
    }, 90_000);
  }
});
