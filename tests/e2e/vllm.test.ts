import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

describeBrowser('vLLM tile in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    const root = k.sim!.hostRoot('spark-1');
    writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 1500 }));
    dir = join(root, 'models/tiny-chat');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => void d.accept());
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('adds a local model through the dialog (with a validation message first) and swaps to it until active', async () => {
    await page.goto(k.url + '/');
    const tile = page.locator('spark-vllm-tile');
    await tile.locator('li[data-model="qwen3-4b-instruct"]').waitFor({ timeout: 15_000 });
    await tile.locator('button:has-text("+ Add local model")').click();
    const dlg = tile.locator('dialog[data-testid="add-local"]');
    await dlg.locator('#localPath').fill('models/relative');
    await dlg.locator('#id').fill('tiny-chat');
    await dlg.locator('#name').fill('Tiny chat');
    await dlg.locator('#servedName').fill('tiny');
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('.fielderr[data-field="localPath"]').waitFor();
    expect(await dlg.locator('.fielderr[data-field="localPath"]').textContent()).toMatch(/absolute path/);
    await dlg.locator('#localPath').fill(dir);
    await dlg.locator('#expectedLoadMinutes').fill('0.1');
    await dlg.locator('button[type=submit]').click();
    const row = tile.locator('li[data-model="tiny-chat"]');
    await row.waitFor();
    expect(await row.locator('.badge.local').textContent()).toBe('local');
    expect(await row.locator('code').textContent()).toBe(dir);
    // Roll back if it fails: off by default (the plugin's setting), ticked here, sent with this swap.
    const rollback = tile.locator('input[data-testid="rollback"]');
    expect(await rollback.isChecked()).toBe(false);
    await rollback.check();
    const [sent] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/api/plugins/vllm/swap') && r.method() === 'POST'),
      row.locator('button:has-text("Swap")').click(),
    ]);
    expect(JSON.parse(sent.postData()!)).toEqual({ model: 'tiny-chat', rollback: true });
    await tile.locator('[data-testid="swap"] .phases span.now').waitFor();
    await page.screenshot({ path: screenshotPath('vllm-swapping.png'), fullPage: true });
    await tile.locator('[data-testid="active"]:has-text("Tiny chat")').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath('vllm-active.png'), fullPage: true });
    expect(await row.locator('.badge.active').textContent()).toBe('active');
  });

  it('downloads a model that is not on the Spark yet from its row, then offers to swap to it', async () => {
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/hf-sim.json'), JSON.stringify({ files: 3, chunkMs: 150 }));
    const tile = page.locator('spark-vllm-tile');
    const row = tile.locator('li[data-model="qwen3-coder-30b"]');
    await row.locator('.src:has-text("not downloaded")').waitFor({ timeout: 20_000 });
    expect(await row.locator('button:has-text("Swap")').isDisabled()).toBe(true);
    await row.locator('button:has-text("Download")').click();
    await row.locator('[data-testid="download"]').waitFor();
    await page.screenshot({ path: screenshotPath('vllm-downloading.png'), fullPage: true });
    await row.locator('.src:has-text("on disk")').waitFor({ timeout: 20_000 });
    expect(await row.locator('button:has-text("Swap")').isDisabled()).toBe(false);
    expect(await row.locator('button:has-text("Download")').count()).toBe(0);
  });

  it('exports the added models as a file and imports a file (a bad one is refused, naming the entry and field)', async () => {
    const tile = page.locator('spark-vllm-tile');
    const [download] = await Promise.all([page.waitForEvent('download'), tile.locator('button:has-text("Export")').click()]);
    expect(download.suggestedFilename()).toBe('spark-control-models.json');
    const exported = JSON.parse(await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8'));
    expect(exported.models.map((m: { id: string }) => m.id)).toContain('tiny-chat');
    await tile.locator('[data-testid="transfer"]:has-text("Exported")').waitFor();

    const file = tile.locator('input[data-testid="import-file"]');
    const bad = { ...exported, models: [{ id: 'bad-one', name: 'Bad', servedName: 'bad', localPath: '/models/$(reboot)' }] };
    await file.setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await tile.locator('[data-testid="transfer"].err').waitFor();
    expect(await tile.locator('[data-testid="transfer"]').textContent()).toMatch(/not imported.*models\.0\.localPath/s);
    expect(await tile.locator('li[data-model="bad-one"]').count()).toBe(0);

    const good = { ...exported, models: [...exported.models, { id: 'shared-coder', name: 'Shared coder', servedName: 'coder', repo: 'org/shared-coder' }] };
    await file.setInputFiles({ name: 'models.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(good)) });
    await tile.locator('[data-testid="transfer"]:has-text("1 added")').waitFor();
    await tile.locator('li[data-model="shared-coder"]').waitFor();
    // The fit estimate shows on the rows whose files are on the Spark, with its reasoning as the tooltip.
    const fit = tile.locator('li[data-model="qwen3-4b-instruct"] [data-testid="fit"]');
    await fit.waitFor();
    expect(await fit.textContent()).toBe('fits 1 Spark');
    expect(await fit.getAttribute('title')).toMatch(/^Fits on one Spark: .* GiB of .* GiB per Spark \(weights .*, KV cache for 32,768 tokens 4\.5 GiB\)/);
    expect(await tile.locator('li[data-model="gpt-oss-120b"] [data-testid="fit"]').count()).toBe(0); // not downloaded: nothing to say
    await page.screenshot({ path: screenshotPath('vllm-imported.png'), fullPage: true });
  });

  it('a swap across both Sparks that needs the head\'s ssh to Spark 2 offers Link Sparks, which sets it up', async () => {
    // Fresh Sparks: Spark 2 has never seen Spark 1's key, and Spark 1 does not know Spark 2's host key.
    writeFileSync(join(k.sim!.hostRoot('spark-2'), '.ssh/authorized_keys'), '');
    writeFileSync(join(k.sim!.hostRoot('spark-1'), '.ssh/known_hosts'), '');
    const add = await k.fetch('/api/plugins/vllm/models', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'qwen-both', name: 'Qwen3 4B on both Sparks', servedName: 'qwen-both', repo: 'Qwen/Qwen3-4B-Instruct-2507', tensorParallel: 2, expectedLoadMinutes: 0.1 }) });
    expect(add.status).toBe(201);
    await page.reload();
    const tile = page.locator('spark-vllm-tile');
    const row = tile.locator('li[data-model="qwen-both"]');
    await row.locator('.src:has-text("on disk")').waitFor({ timeout: 20_000 });
    await row.locator('button:has-text("Swap")').click();
    const error = tile.locator('[data-testid="swap-error"]');
    await error.waitFor({ timeout: 20_000 });
    expect(await error.textContent()).toMatch(/spark-1 cannot ssh to spark-2 at 10\.203\.250\.2 without a password \(Host key verification failed\.\)/);
    await page.screenshot({ path: screenshotPath('vllm-link-needed.png'), fullPage: true });
    await tile.locator('button[data-testid="link-sparks"]').click();
    await tile.locator('[data-testid="link-note"]:has-text("Linked")').waitFor({ timeout: 20_000 });
    expect(await tile.locator('[data-testid="link-note"]').textContent()).toBe('Linked: spark-1 now reaches spark-2 (10.203.250.2) by ssh. Swap again to start the model.');
    expect(await tile.locator('button[data-testid="link-sparks"]').isDisabled()).toBe(true); // done: nothing to press twice
    await page.screenshot({ path: screenshotPath('vllm-linked.png'), fullPage: true });
    // And the swap it was all for now gets past preflight.
    await row.locator('button:has-text("Swap")').click();
    await tile.locator('[data-testid="active"]:has-text("Qwen3 4B on both Sparks")').waitFor({ timeout: 30_000 });
  }, 90_000);
});
