import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** Pixels of a screenshot close to the search highlight's background: the marked words are drawn, not just present in
 *  the DOM. The PNG is decoded by the page itself. */
async function highlightPixels(page: Page, shot: Buffer, mark: Locator): Promise<number> {
  const bg = await mark.first().evaluate((el) => getComputedStyle(el).backgroundColor);
  return page.evaluate(async ({ b64, bg }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const [r, gr, b] = (bg.match(/\d+/g) ?? []).map(Number);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - gr) + Math.abs(d[i + 2] - b) < 30) n++;
    return n;
  }, { b64: shot.toString('base64'), bg });
}

describeBrowser('vLLM container log in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let log: string;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    const root = k.sim!.hostRoot('spark-1');
    writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
    const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
    expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
    log = join(root, 'state/containers/vllm_node.log');
    for (let i = 0; i < 30; i++) appendFileSync(log, `INFO engine step ${i}: ${i % 10 === 3 ? 'prefix cache hit zebra' : 'throughput ok'}\n`);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`opens the log from the tile, follows new lines, filters by a word and shows the last swap's log at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url + '/');
      const tile = page.locator('spark-vllm-tile');
      await tile.locator('button[data-testid="vllm-logs"]').click();
      const viewer = tile.locator('spark-log-viewer');
      const lines = viewer.locator('[data-testid="log-lines"]');
      await lines.locator('div:has-text("engine step 29")').waitFor({ timeout: 15_000 });
      // A line docker writes while the viewer is open arrives without a reload.
      appendFileSync(log, `INFO engine late line ${label} zebra\n`);
      await lines.locator(`div:has-text("late line ${label}")`).waitFor({ timeout: 10_000 });

      await viewer.locator('input[data-testid="log-search"]').fill('zebra');
      await expect.poll(() => lines.locator('div').count()).toBeGreaterThanOrEqual(4);
      const shown = await lines.locator('div').allTextContents();
      expect(shown.every((l) => l.includes('zebra')), shown.join('\n')).toBe(true);
      expect(shown.some((l) => l.includes('throughput ok'))).toBe(false);
      expect(await viewer.locator('[data-testid="log-count"]').textContent()).toMatch(/^\d+ of \d+ lines/);
      const marks = lines.locator('mark');
      expect(await marks.count()).toBe(shown.length);
      expect(await marks.first().textContent()).toBe('zebra');

      // Readable on the phone: the log fits the viewport and wraps instead of scrolling sideways.
      const box = (await lines.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      expect(await lines.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
      const shot = await lines.screenshot({ path: screenshotPath(`vllm-logs-${label}.png`) });
      expect(await highlightPixels(page, shot, marks)).toBeGreaterThan(50);
      await page.screenshot({ path: screenshotPath(`vllm-logs-page-${label}.png`), fullPage: true });
      // The last swap's log is one click away, from the job the kernel keeps.
      await tile.locator('spark-vllm-logs button:has-text("Last swap")').click();
      await viewer.locator('[data-testid="log-lines"] div:has-text("preflight ok")').first().waitFor({ timeout: 10_000 });
      await page.close();
    }, 90_000);
  }
});
