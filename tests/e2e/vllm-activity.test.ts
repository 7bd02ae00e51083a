import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('vLLM activity log in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  const chat = (body: object) => k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300, tokenDelayMs: 5 }));
    const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
    expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
    // A client that names itself (no key): its name is the activity row's client.
    expect((await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-client-name': 'nightly-cron' }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'cron job' }], max_tokens: 2 }) })).status).toBe(200);
    expect((await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 5 })).status).toBe(200);
    await (await chat({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'stream' }], max_tokens: 3, stream: true, stream_options: { include_usage: true } })).text();
    expect((await chat({ model: 'qwen3-4b', messages: 'not a list' })).status).toBe(400);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const [label, viewport] of [['desktop', { width: 1440, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    it(`shows the proxied requests with their tokens and clients, and filters them by status and client at ${label} width`, async () => {
      const page = await browser.newPage({ viewport });
      await page.goto(k.url + '/');
      const tile = page.locator('spark-vllm-tile');
      await tile.locator('button[data-testid="vllm-activity"]').click();
      const table = tile.locator('table[data-testid="activity"]');
      await expect.poll(() => table.locator('tr').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      const text = await table.textContent();
      expect(text).toContain('qwen3-4b');
      expect(text).toContain('stream');
      // The plain chat's usage: 5 tokens out.
      const plain = table.locator('tr', { hasText: '200' }).filter({ hasNotText: 'stream' }).first();
      expect(await plain.locator('td').nth(7).textContent()).toBe('5');
      await tile.locator('input[data-testid="activity-status"]').fill('400');
      await tile.locator('input[data-testid="activity-status"]').press('Enter');
      await expect.poll(() => table.locator('tr').count(), { timeout: 10_000 }).toBe(2);
      expect(await table.locator('tr').nth(1).locator('td').nth(3).textContent()).toBe('400');
      // The client column: a filter by name, and a click on a name filters by that client's id.
      await tile.locator('input[data-testid="activity-status"]').fill('');
      await tile.locator('input[data-testid="activity-status"]').press('Enter');
      await tile.locator('input[data-testid="activity-client"]').fill('nightly-cron');
      await tile.locator('input[data-testid="activity-client"]').press('Enter');
      await expect.poll(() => table.locator('tr').count(), { timeout: 10_000 }).toBe(2);
      expect(await table.locator('tr').nth(1).locator('td').nth(1).textContent()).toBe('nightly-cron');
      await tile.locator('input[data-testid="activity-client"]').fill('');
      await tile.locator('input[data-testid="activity-client"]').press('Enter');
      await expect.poll(() => table.locator('tr').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      await table.locator('a[data-testid="activity-client-name"]', { hasText: 'nightly-cron' }).click();
      await expect.poll(() => table.locator('tr').count(), { timeout: 10_000 }).toBe(2);
      expect(await tile.locator('input[data-testid="activity-client"]').inputValue()).toBe('anon:nightly-cron');
      const box = (await tile.locator('spark-vllm-activity').boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: screenshotPath(`vllm-activity-${label}.png`), fullPage: true });
      await page.close();
    }, 90_000);
  }
});
