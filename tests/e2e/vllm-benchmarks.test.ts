import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** The first two colours of the benchmark panel (one per run picked). */
const RUN_COLOURS: Array<[number, number, number]> = [[0x4f, 0x8c, 0xff], [0xe0, 0xa0, 0x30]];

/** Pixels of a chart's canvas near each of `colours`: lines and points drawn, not only the element. */
function colouredPixels(chart: Locator, colours: Array<[number, number, number]>): Promise<number[]> {
  return chart.locator('canvas').first().evaluate((canvas: HTMLCanvasElement, cs: Array<[number, number, number]>) => {
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    return cs.map(([r, g, b]) => {
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) < 24 && Math.abs(d[i + 1] - g) < 24 && Math.abs(d[i + 2] - b) < 24) n++;
      return n;
    });
  }, colours);
}

describeBrowser('vLLM benchmarks in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  const send = (method: string, path: string, body: unknown) => k.fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const swap = async () => {
    const r = await send('POST', '/api/plugins/vllm/swap', { model: 'qwen3-4b-instruct' });
    expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
  };

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300, tokenDelayMs: 5 }));
    await swap();
    // A first run with the built-in args, then the model relaunched with another memory share: the runs the tile compares.
    const first = await send('POST', '/api/plugins/vllm/benchmarks', { concurrency: [1, 4], count: 4, maxTokens: 4 });
    expect(first.status).toBe(202);
    expect((await k.app.services.jobs.wait((await first.json()).id)).state).toBe('succeeded');
    const put = await send('PUT', '/api/plugins/vllm/models/qwen3-4b-instruct', { name: 'Qwen3 4B Instruct 2507', repo: 'Qwen/Qwen3-4B-Instruct-2507', servedName: 'qwen3-4b', args: ['--max-model-len', '32768', '--gpu-memory-utilization', '0.6'], expectedLoadMinutes: 4 });
    expect(put.status).toBe(200);
    await swap();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`runs a benchmark from the tile and draws it beside the earlier run at ${label} width`, async () => {
      const before = ((await (await k.fetch('/api/plugins/vllm/benchmarks')).json()).runs as unknown[]).length;
      const page = await browser.newPage({ viewport });
      await page.goto(k.url + '/');
      const tile = page.locator('spark-vllm-tile');
      await tile.locator('button[data-testid="vllm-benchmarks"]').click();
      const panel = tile.locator('spark-vllm-benchmarks');
      await panel.locator('input[data-testid="benchmark-levels"]').fill('1, 4');
      await panel.locator('input[data-testid="benchmark-count"]').fill('4');
      await panel.locator('input[data-testid="benchmark-max-tokens"]').fill('4');
      await panel.locator('button[data-testid="benchmark-run"]').click();
      await expect.poll(() => panel.locator('ul[data-testid="benchmark-runs"] li').count(), { timeout: 20_000 }).toBe(before + 1);
      expect(await panel.locator('[data-testid="benchmark-error"]').count()).toBe(0);

      const tps = panel.locator('spark-vllm-bench-chart[data-testid="benchmark-tps"]');
      const ttft = panel.locator('spark-vllm-bench-chart[data-testid="benchmark-ttft"]');
      // The newest run (this one, 0.6) and the run before it are picked and drawn, each in its colour, on both charts.
      for (const chart of [tps, ttft]) {
        await expect.poll(async () => Math.min(...await colouredPixels(chart, RUN_COLOURS)), { timeout: 10_000 }).toBeGreaterThan(30);
        const box = (await chart.boundingBox())!;
        expect(box.width).toBeGreaterThan(200);
        expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      }
      // The legend says what differs between the runs compared: the flag that changed.
      const legend = await panel.locator('[data-testid="benchmark-legend"]').textContent();
      expect(legend).toContain('--gpu-memory-utilization=0.6');
      expect(legend).toContain('--gpu-memory-utilization=0.5');
      if (label === 'desktop') {
        // Side by side on a wide screen, one above the other on a phone.
        expect(Math.abs((await tps.boundingBox())!.y - (await ttft.boundingBox())!.y)).toBeLessThan(5);
      } else {
        expect((await ttft.boundingBox())!.y).toBeGreaterThan((await tps.boundingBox())!.y + 100);
      }
      await page.screenshot({ path: screenshotPath(`vllm-benchmarks-${label}.png`), fullPage: true });
      await panel.screenshot({ path: screenshotPath(`vllm-benchmarks-panel-${label}.png`) });
      await page.close();
    }, 90_000);
  }
});
