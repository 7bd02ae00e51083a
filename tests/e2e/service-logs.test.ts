import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { SimCluster } from '../../sim/cluster.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('service container logs in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let root: string;
  const follows = () => (k.app.sim!.cluster as unknown as SimCluster).server('spark-2').processes().filter((p) => p.command.includes('--follow')).length;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['speech', 'embeddings'] });
    root = k.sim!.hostRoot('spark-2');
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`opens a speech service's log from its tile, follows new lines, switches service, and stops following when closed at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url + '/');
      const tile = page.locator('spark-speech-tile');
      await tile.locator('button[data-testid="service-logs"]').click();
      const lines = tile.locator('spark-log-viewer [data-testid="log-lines"]');
      await lines.locator('div:has-text("Uvicorn running on http://0.0.0.0:8000")').waitFor({ timeout: 15_000 });
      expect(await tile.locator('spark-service-logs .where').textContent()).toContain('container parakeet on spark-2');
      // A line the service writes while the viewer is open arrives without a reload.
      appendFileSync(join(root, 'state/containers/parakeet.log'), `${new Date().toISOString()} INFO:     127.0.0.1 - "POST /v1/audio/transcriptions HTTP/1.1" 200 OK ${label}\n`);
      await lines.locator(`div:has-text("200 OK ${label}")`).waitFor({ timeout: 10_000 });
      await tile.locator('spark-log-viewer input[data-testid="log-search"]').fill('transcriptions');
      await expect.poll(() => lines.locator('div').count()).toBeLessThan(6);
      const shown = await lines.locator('div').allTextContents();
      expect(shown.length).toBeGreaterThanOrEqual(1);
      expect(shown.every((l) => l.includes('POST /v1/audio/transcriptions')), shown.join('\n')).toBe(true);
      // Readable on the phone: the log wraps inside the viewport.
      const box = (await lines.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await tile.screenshot({ path: screenshotPath(`service-logs-speech-${label}.png`) });

      await tile.locator('spark-log-viewer input[data-testid="log-search"]').fill('');
      await tile.locator('spark-service-logs button[data-log="kokoro"]').click();
      await lines.locator('div:has-text("Uvicorn running on http://0.0.0.0:8880")').waitFor({ timeout: 15_000 });
      await tile.locator('spark-service-logs button[aria-label="Close the log"]').click();
      await expect.poll(follows, { timeout: 15_000 }).toBe(0);

      const embeddings = page.locator('spark-embeddings-tile');
      await embeddings.locator('button[data-testid="service-logs"]').click();
      await embeddings.locator('spark-service-logs button[data-log="qdrant"]').click();
      await embeddings.locator('spark-log-viewer [data-testid="log-lines"] div:has-text("Qdrant HTTP listening on 6333")').waitFor({ timeout: 15_000 });
      await embeddings.screenshot({ path: screenshotPath(`service-logs-embeddings-${label}.png`) });
      await page.close();
      await expect.poll(follows, { timeout: 15_000 }).toBe(0);
    }, 90_000);
  }
});
