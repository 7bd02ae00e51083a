import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** Only the kernel's own "log in first" (401 SPK_UNAUTHORIZED) sends the browser to the login page; any other 401 a
 *  route answers (an SSH password a Spark refused, an upstream's auth) stays in the tile that asked. */
const TOKEN = 'a-long-enough-api-token-1234';

describeBrowser('login redirect in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster'], config: { auth: { token: TOKEN } } });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const vp of [{ name: 'desktop', width: 1440, height: 900 }, { name: 'phone', width: 390, height: 844 }]) {
    it(`goes to the login page for the kernel's 401 only (${vp.width}×${vp.height})`, async () => {
      const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
      const page = await ctx.newPage();
      await page.goto(k.url + '/');
      await page.waitForURL(/\/login\.html$/, { timeout: 15_000 });

      await page.evaluate(async (token) => { await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }); }, TOKEN);
      await page.goto(k.url + '/');
      const card = page.locator('spark-cluster-tile .card[data-host="spark-1"]');
      await card.locator('input[name=password]').waitFor({ timeout: 15_000 });
      // A 401 that is not the kernel's: as a route that refuses with its own code would answer.
      await page.route('**/install-key', (r) => r.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ status: 401, code: 'SPK_SSH_BAD_PASSWORD', detail: 'the password for spark@spark-1 was not accepted' }) }));
      await card.locator('input[name=password]').fill('wrong');
      await card.locator('button:has-text("Install key")').click();
      const err = card.locator('.err:has-text("not accepted")');
      await err.waitFor({ timeout: 10_000 });
      await err.screenshot({ path: screenshotPath(`login-redirect-tile-401-${vp.name}.png`) });
      expect(await err.innerText()).toBe('Error: the password for spark@spark-1 was not accepted');
      expect(page.url()).not.toContain('login');
      await ctx.close();
    }, 60_000);
  }
});
