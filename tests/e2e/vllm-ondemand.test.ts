import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

interface ResidencyBody { sparks: Array<{ hostId: string; models: Array<{ modelId: string; asleep: boolean; bytes: number; awakeBytes: number }> }> }

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

describeBrowser('vLLM tile: the memory bar of models sharing a Spark, in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, minResidencySec: 0, maxResident: 3, memoryBudgetGB: 60 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 400 }));
    for (const [id, memoryGB, sleep] of [['bar-a', 25, false], ['bar-b', 20, true], ['bar-c', 25, false]] as const) {
      const add = await k.fetch('/api/models', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, name: id, servedName: id, repo: 'Qwen/Qwen3-4B-Instruct-2507', memoryGB, sleep, expectedLoadMinutes: 0.1 }) });
      expect(add.status).toBe(201);
    }
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('stacks the resident models on the Spark\'s budget, the sleeping one striped, at desktop and phone widths', async () => {
    const chat = (model: string) => k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }) });
    // bar-b (sleep mode) first, so it is the least recently used when bar-c needs room: it sleeps.
    for (const m of ['bar-b', 'bar-a', 'bar-c']) expect((await chat(m)).status).toBe(200);
    for (const [name, width] of [['desktop', 1280], ['phone', 390]] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(k.url + '/');
      const bar = page.locator('spark-vllm-tile spark-vllm-memory-bar [data-testid="memory-bar"][data-host="spark-1"]');
      await bar.waitFor({ timeout: 15_000 });
      await bar.locator('.seg.model[data-model="bar-b"].asleep').waitFor({ timeout: 10_000 });
      const widths = await bar.locator('.seg.model').evaluateAll((els) => els.map((e) => [e.getAttribute('data-model'), e.getBoundingClientRect().width]));
      const w = Object.fromEntries(widths) as Record<string, number>;
      // Each segment is as wide as what the arbiter says the model holds. The sleeping figure is measured on the
      // simulated Spark, whose free memory moves with this machine's own programs, so it is read, not assumed.
      const spark = ((await (await k.fetch('/api/plugins/vllm/residency')).json()) as ResidencyBody).sparks.find((s) => s.hostId === 'spark-1')!;
      const held = Object.fromEntries(spark.models.map((m) => [m.modelId, m]));
      expect(held['bar-b'].asleep).toBe(true);
      expect(held['bar-b'].bytes).toBeLessThan(held['bar-b'].awakeBytes);
      expect(Math.abs(held['bar-a'].bytes / 25e9 - 1)).toBeLessThan(0.02); // its memoryGB, as the share it was launched with
      expect(w['bar-c']).toBeGreaterThan(0);
      for (const m of ['bar-b', 'bar-c']) expect(w[m] / w['bar-a']).toBeCloseTo(held[m].bytes / held['bar-a'].bytes, 1);
      expect(await bar.locator('.head').textContent()).toMatch(/of 60 GB budget/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await bar.screenshot({ path: screenshotPath(`vllm-memory-bar-${name}.png`) });
      await page.close();
    }
  }, 90_000);

  it('the tile\'s Swap loads a model beside the others, its panel following the load\'s own phases to serving', async () => {
    const add = await k.fetch('/api/models', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'bar-d', name: 'Bar D', servedName: 'bar-d', repo: 'Qwen/Qwen3-4B-Instruct-2507', memoryGB: 5, expectedLoadMinutes: 0.1 }) });
    expect(add.status).toBe(201);
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 3000 }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const asked: string[] = [];
    page.on('dialog', (d) => { asked.push(d.message()); void d.accept(); });
    await page.goto(k.url + '/');
    const tile = page.locator('spark-vllm-tile');
    await tile.locator('li[data-model="bar-d"] button:text-is("Swap")').click();
    const panel = tile.locator('[data-testid="swap"][data-kind="vllm.load"]');
    await panel.locator('b', { hasText: /^Loading Bar D beside the others/ }).waitFor({ timeout: 10_000 });
    expect(asked[0]).toMatch(/^Load Bar D beside the models already served\?/);
    expect(await panel.locator('.phases span').allTextContents()).toEqual(['plan', 'evict', 'load', 'serving']);
    await panel.locator('.phases span.now', { hasText: 'load' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('vllm-shared-load.png') });
    await panel.locator('b', { hasText: /^Serving Bar D/ }).waitFor({ timeout: 20_000 });
    expect(await panel.locator('.phases span.done').count()).toBe(4);
    // The head of the tile names every model serving, and a prompt goes to one of them.
    await expect.poll(async () => await tile.locator('[data-testid="active"]').textContent(), { timeout: 10_000 }).toMatch(/Bar D/);
    expect(await tile.locator('[data-testid="try-prompt"] label code').textContent()).toMatch(/^bar-/);
    await page.screenshot({ path: screenshotPath('vllm-shared-served.png') });
    const slots = ((await (await k.fetch('/api/plugins/vllm/residency')).json()) as { slots: Array<{ modelId: string | null }> }).slots.map((x) => x.modelId);
    expect(slots).toContain('bar-d');
    await page.close();
  }, 60_000);
});
