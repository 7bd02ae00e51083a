import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('embeddings tile in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['embeddings'] });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('loads the sample documents on an empty Qdrant and shows fused hybrid results for a search', async () => {
    await page.goto(k.url + '/');
    const tile = page.locator('spark-embeddings-tile');
    await tile.locator('button:has-text("Load sample documents")').click();
    await tile.locator('li:has-text("spark-samples")').waitFor({ timeout: 15_000 });
    expect(await tile.locator('li:has-text("spark-samples")').textContent()).toContain('8 points');
    // Ingested through the real routes: the collection holds exactly those points in the fake Qdrant.
    const listed = await (await k.fetch('/api/collections')).json();
    expect(listed.collections).toContainEqual({ name: 'spark-samples', points: 8 });
    await tile.locator('input[name="q"]').fill('Sortformer speakers');
    await tile.locator('button:has-text("Search")').click();
    const hits = tile.locator('[data-testid="hits"] li');
    await hits.first().waitFor({ timeout: 10_000 });
    expect(await hits.count()).toBe(5);
    expect(await hits.first().textContent()).toContain('Sortformer');
    await page.screenshot({ path: screenshotPath('embeddings.png'), fullPage: true });
  });
});
