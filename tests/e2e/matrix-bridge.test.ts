import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('matrix-bridge tile in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['matrix-bridge'], config: { plugins: { 'matrix-bridge': { statusIntervalMs: 60_000 } } } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on('dialog', (d) => void d.accept());
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('stops and starts the bot from its buttons, runs an update, and follows the logs until the view is closed', async () => {
    await page.goto(k.url + '/');
    const tile = page.locator('spark-matrix-bridge-tile');
    const state = tile.locator('[data-testid="bot-state"]');
    await state.waitFor({ timeout: 15_000 });
    expect(await state.textContent()).toBe('running');
    await tile.locator('button:text-is("Stop")').click();
    await tile.locator('[data-testid="bot-state"]:has-text("exited with code 0")').waitFor();
    await tile.locator('button:text-is("Start")').click();
    await tile.locator('[data-testid="bot-state"]:has-text("running")').waitFor();
    await tile.locator('button:has-text("Update")').click();
    await tile.locator('[data-testid="job"]:has-text("succeeded")').waitFor({ timeout: 20_000 });
    // The action lock is released once the update ends: the buttons are usable again.
    await tile.locator('button:text-is("Restart"):not([disabled])').waitFor({ timeout: 5000 });
    await tile.locator('button:has-text("View logs")').click();
    await tile.locator('[data-testid="logs"]:has-text("container")').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('matrix-bridge.png'), fullPage: true });
    const server = (k.app.sim!.cluster as unknown as { server(id: string): { processes(): Array<{ command: string }> } }).server('spark-2');
    expect(server.processes().some((p) => p.command.includes('--follow'))).toBe(true);
    await tile.locator('button:has-text("Close logs")').click();
    const end = Date.now() + 5000;
    while (server.processes().some((p) => p.command.includes('--follow')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(server.processes().filter((p) => p.command.includes('--follow'))).toEqual([]);
  });
});
