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
    expect(await tile.locator('li:has-text("spark-samples")').textContent()).toContain('8 documents');
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

  it('edits a map setting (payload indexes) as JSON: shown as JSON, bad JSON flagged in place, valid JSON saved', async () => {
    await page.goto(k.url + '/#/settings');
    const form = page.locator('section[data-settings="embeddings"] spark-schema-form');
    const box = form.locator('textarea#payloadIndexes');
    await box.waitFor();
    expect(JSON.parse(await box.inputValue())).toEqual({ tenant: 'keyword', source: 'keyword', doc_id: 'keyword' });
    await box.fill('{"tenant": "keyword",');
    const msg = form.locator('.err[data-field="payloadIndexes"]');
    await msg.waitFor();
    expect(await msg.textContent()).toContain('JSON object');
    await form.locator('button[type=submit]').click();
    expect((await (await k.fetch('/api/config')).json()).plugins.embeddings.payloadIndexes).toEqual({ tenant: 'keyword', source: 'keyword', doc_id: 'keyword' });
    // A parseable map with a value the schema refuses gets the server's message next to the field.
    await box.fill('{"tenant": "keyword", "year": "decimal"}');
    await form.locator('button[type=submit]').click();
    await form.locator('.err[data-field^="payloadIndexes"]').waitFor();
    await box.fill('{"tenant": "keyword", "year": "integer"}');
    await form.locator('button[type=submit]').click();
    await form.locator('.ok:has-text("Saved")').waitFor();
    expect((await (await k.fetch('/api/config')).json()).plugins.embeddings.payloadIndexes).toEqual({ tenant: 'keyword', year: 'integer' });
  });
});
