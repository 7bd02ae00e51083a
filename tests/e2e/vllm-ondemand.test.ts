import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('vLLM tile: models loaded on request, in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, minResidencySec: 0 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 1500 }));
    const add = await k.fetch('/api/models', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'od-ui', name: 'On demand', servedName: 'od-ui', repo: 'Qwen/Qwen3-4B-Instruct-2507', idleTtlSec: 600 }) });
    expect(add.status).toBe(201);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('shows the model a request loads: loading with the request waiting, then serving with its idle countdown and cold load time', async () => {
    await page.goto(k.url + '/');
    const panel = page.locator('spark-vllm-tile spark-vllm-ondemand');
    await page.locator('spark-vllm-tile li[data-model="od-ui"]').waitFor({ timeout: 15_000 });
    const answer = k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'od-ui', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
    const row = panel.locator('tr[data-model="od-ui"]');
    await row.locator('.state.loading').waitFor({ timeout: 10_000 });
    expect(await row.locator('td').nth(2).textContent()).toMatch(/^1/);
    expect((await answer).status).toBe(200);
    await row.locator('.state.serving').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('vllm-ondemand.png'), fullPage: true });
    expect(await row.locator('td').nth(3).textContent()).toMatch(/stops in \d+ s/);
    expect(await row.locator('td').nth(4).textContent()).toMatch(/cold \d+ s/);
  }, 60_000);
});
