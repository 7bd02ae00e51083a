import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { drawnCharts } from '../helpers/charts.js';

/** Waits until every chart on the page has drawn, and returns them. */
async function chartsDrawn(page: Page, atLeast: number) {
  try {
    await expect.poll(async () => (await drawnCharts(page)).filter((c) => c.drawn > 100).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(atLeast);
  } catch (e) {
    await page.screenshot({ path: screenshotPath('detail-failed.png'), fullPage: true });
    console.log(JSON.stringify(await drawnCharts(page)));
    throw e;
  }
  return drawnCharts(page);
}

describeBrowser('full-page views per Spark and per model in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster', 'vllm'], simPreload: true, config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 1500 }, vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
    const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
    expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
    const b = await k.fetch('/api/plugins/vllm/benchmarks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ concurrency: [1, 2], count: 2, maxTokens: 8 }) });
    expect(b.status).toBe(202);
    expect((await k.app.services.jobs.wait((await b.json()).id)).state).toBe('succeeded');
    // Half an hour of made-up history under the names the plugins declare (as history-charts.test.ts does), so the
    // plots do not depend on how fast the simulated Sparks answer; spark-2 and another model are there to be left out.
    const h = k.app.services.history;
    let i = 0;
    const wave = () => 40 + 30 * Math.sin(i++ / 4);
    const hosts = (v: () => number) => () => [{ labels: { host: 'spark-1' }, value: v() }, { labels: { host: 'spark-2' }, value: 5 }];
    h.declare('cluster', { name: 'gpu_util', unit: '%', help: 'GPU utilisation', sample: hosts(wave) });
    h.declare('cluster', { name: 'memory_used', unit: 'GiB', help: 'Memory in use', sample: hosts(() => 60 + (i % 7)) });
    h.declare('cluster', { name: 'gpu_power', unit: 'W', help: 'GPU power draw', sample: hosts(() => 30 + wave()) });
    h.declare('cluster', { name: 'gpu_temperature', unit: '°C', help: 'GPU temperature', sample: hosts(() => 45 + wave() / 5) });
    const models = (v: () => number) => () => [{ labels: { model: 'qwen3-4b' }, value: v() }, { labels: { model: 'old-model' }, value: 1 }];
    h.declare('vllm', { name: 'requests_running', unit: 'requests', help: 'Requests running', sample: models(() => 1 + (Math.floor(i / 6) % 4)) });
    h.declare('vllm', { name: 'requests_waiting', unit: 'requests', help: 'Requests waiting', sample: models(() => Math.floor(i / 6) % 3) });
    h.declare('vllm', { name: 'kv_cache', unit: '%', help: 'KV cache in use', sample: models(() => wave() / 2) });
    h.declare('vllm', { name: 'generation_tokens', unit: 'tokens/s', help: 'Tokens generated per second', sample: models(() => 30 + wave()) });
    h.declare('vllm', { name: 'ttft', unit: 'ms', help: 'Time to first token', sample: models(() => 120 + wave()) });
    const now = Date.now();
    for (let t = now - 30 * 60_000; t <= now; t += 30_000) h.step(t);
    h.mark('vllm', 'swap', 'swap to qwen3-4b-instruct started', now - 16 * 60_000);
    h.mark('vllm', 'load', 'qwen3-4b serving', now - 15 * 60_000);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`reaches a Spark's page from the Sparks tile and a model's from the LLM tile, both drawn with their events at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url + '/');
      await page.locator('spark-cluster-tile [data-host="spark-1"] a[data-testid="spark-page"]').click();
      expect(new URL(page.url()).hash).toBe('#/spark/spark-1');
      const spark = await chartsDrawn(page, 4);
      expect(spark.map((c) => c.series).sort()).toEqual(['cluster.gpu_power', 'cluster.gpu_temperature', 'cluster.gpu_util', 'cluster.memory_used']);
      for (const c of spark) {
        expect(c.match, c.series).toBe('host=spark-1');
        expect(c.drawn, `${c.series} has a line drawn`).toBeGreaterThan(100);
        expect(c.width, `${c.series} fits the viewport`).toBeLessThanOrEqual(viewport.width);
      }
      await page.locator('[data-testid="detail-containers"] td:has-text("vllm_node")').waitFor({ timeout: 15_000 });
      await page.locator('[data-testid="detail-marks"] td:has-text("qwen3-4b serving")').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      // The pointer on an event's dashed line names it above the plot; away from every line, nothing is named.
      const chart = page.locator('spark-history-chart[series="cluster.gpu_util"]');
      const at = await chart.evaluate((el) => {
        const u = (el as unknown as { plot: { over: HTMLElement; valToPos(v: number, s: string): number; sparkMarks: Array<{ t: number; text: string }> } }).plot;
        const m = u.sparkMarks[u.sparkMarks.length - 1];
        const r = u.over.getBoundingClientRect();
        const x = u.valToPos(m.t / 1000, 'x');
        // Events seconds apart share a pixel: any of those may be the one named.
        const near = u.sparkMarks.filter((o) => Math.abs(u.valToPos(o.t / 1000, 'x') - x) <= 6).map((o) => o.text);
        return { x: r.left + x, y: r.top + r.height / 2, left: r.left, near };
      });
      await page.mouse.move(at.x, at.y);
      const tip = chart.locator('[data-testid="mark-tip"]');
      await expect.poll(async () => (await tip.isVisible()) ? (await tip.textContent())! : '').toMatch(new RegExp(`(${at.near.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`));
      await chart.screenshot({ path: screenshotPath(`detail-mark-tip-${label}.png`) });
      await page.mouse.move(at.left + 2, at.y);
      await expect.poll(() => tip.isVisible()).toBe(false);
      await page.screenshot({ path: screenshotPath(`detail-spark-${label}.png`), fullPage: true });

      // Another window is another read: the charts say so and plot the half hour they have (a sliver of a week).
      await page.locator('spark-detail-page a[data-range="7d"]').click();
      expect(new URL(page.url()).hash).toBe('#/spark/spark-1?range=7d');
      await expect.poll(async () => (await page.locator('spark-history-chart .head span').allTextContents()).filter((t) => t.includes('last 7 d')).length).toBe(4);
      await expect.poll(async () => (await drawnCharts(page)).filter((c) => c.state === 'drawn').length).toBe(4);
      await page.screenshot({ path: screenshotPath(`detail-spark-7d-${label}.png`), fullPage: true });

      await page.goto(k.url + '/');
      await page.locator('spark-vllm-tile a[data-testid="model-page"]').click();
      expect(new URL(page.url()).hash).toBe('#/model/qwen3-4b');
      const model = await chartsDrawn(page, 5);
      expect(model.map((c) => c.series).sort()).toEqual(['vllm.generation_tokens', 'vllm.kv_cache', 'vllm.requests_running', 'vllm.requests_waiting', 'vllm.ttft']);
      for (const c of model) {
        expect(c.match).toBe('model=qwen3-4b');
        expect(c.drawn, `${c.series} has a line drawn`).toBeGreaterThan(100);
        expect(c.width).toBeLessThanOrEqual(viewport.width);
      }
      await page.locator('[data-testid="detail-marks"] td:has-text("swap to qwen3-4b-instruct started")').first().waitFor();
      // The model's benchmark run, one column per concurrency.
      const bench = page.locator('[data-testid="detail-benchmarks"]');
      await bench.waitFor();
      expect(await bench.locator('th').allTextContents()).toEqual(['Run', '×1: tok/s · TTFT p50', '×2: tok/s · TTFT p50']);
      expect(await bench.locator('tbody tr td').nth(1).textContent()).toMatch(/^\d+ · \d+ ms$/);
      expect(await page.locator('spark-detail-page a:has-text("old-model")').count()).toBe(1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: screenshotPath(`detail-model-${label}.png`), fullPage: true });
      await page.close();
    }, 120_000);
  }

  it('opens a page by its URL, and says so when a Spark or model has no history, or no plugin serves its kind', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${k.url}/#/model/never-served`);
    await page.locator('[data-testid="detail-empty"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('spark-history-chart').count()).toBe(0);
    await page.goto(`${k.url}/#/spark/spark-2?range=24h`);
    // Half an hour of a day: a short line at the right end of each chart.
    await expect.poll(async () => (await drawnCharts(page)).filter((c) => c.state === 'drawn' && c.drawn > 0).length, { timeout: 30_000 }).toBe(4);
    expect((await drawnCharts(page)).every((c) => c.match === 'host=spark-2')).toBe(true);
    expect(await page.locator('spark-history-chart .head span').first().textContent()).toContain('last 24 h');
    expect(await page.locator('spark-detail-page a[data-range="24h"]').getAttribute('aria-current')).toBe('true');
    // The kinds are the plugins': one no running plugin registered is named as such, not drawn empty.
    await page.goto(`${k.url}/#/speaker/alice`);
    expect(await page.locator('[data-testid="detail-unknown"]').textContent({ timeout: 15_000 })).toMatch(/No page of kind "speaker"/);
    expect(await page.locator('spark-history-chart').count()).toBe(0);
    await page.close();
  }, 60_000);
});
