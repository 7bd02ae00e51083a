import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** The dashboard says so while the simulator process is down, and stops saying so once it is back (sim.state events). */
describeBrowser('simulator down, in the dashboard', () => {
  let k: TestKernel;
  let browser: Browser;
  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster'], simProcess: true });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('shows "Simulator down" while its process is dead and hides it when it is back', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await page.goto(k.url + '/');
    await page.locator('spark-app .sim').first().waitFor();
    await page.locator('.live .dot.on').waitFor();
    const banner = page.locator('spark-app [data-testid="sim-down"]');
    expect(await banner.count()).toBe(0);
    const pid = k.app.sim!.status!().pid!;
    process.kill(pid, 'SIGKILL');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/Simulator (down|restarting): Sparks unreachable/);
    expect(await banner.getAttribute('title')).toContain('signal SIGKILL');
    await page.screenshot({ path: screenshotPath('simulator-down.png') });
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    expect(k.app.sim!.status!()).toMatchObject({ state: 'running', restarts: 1 });
  }, 60_000);
});
