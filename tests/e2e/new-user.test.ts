import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** What a new user meets on `npm start` (issue 29), walked through at a desktop and a phone width: each check looks
 *  at the element on screen (inside the viewport's width, screenshot saved) and at the words it shows. */
const WIDTHS = [{ name: 'desktop', width: 1440, height: 900 }, { name: 'phone', width: 390, height: 844 }] as const;

describeBrowser('a new user on the simulated cluster', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['cluster', 'vllm', 'speech', 'embeddings', 'redaction', 'matrix-bridge'], simPreload: true, config: { plugins: { cluster: { pollIntervalMs: 1000, pollTimeoutMs: 1500 }, vllm: { readinessPollMs: 200, memoryFloorPct: 1 } } } });
    writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 500 }));
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const vp of WIDTHS) {
    describe(`at ${vp.width}×${vp.height}`, () => {
      let page: Page;
      const pageErrors: string[] = [];
      beforeAll(async () => {
        page = await browser.newPage({ viewport: { width: vp.width, height: vp.height } });
        page.on('pageerror', (e) => pageErrors.push(e.message));
        page.on('dialog', (d) => void d.accept());
      });
      afterAll(async () => { await page?.close(); });

      /** The element is on screen within the page's width; its screenshot is saved; its visible text is returned. */
      const seen = async (el: Locator, name: string): Promise<string> => {
        // A live tile may re-render the element between two steps: wait until it holds still in one place.
        await expect.poll(async () => { await el.scrollIntoViewIfNeeded(); return (await el.boundingBox())?.width ?? 0; }, { timeout: 10_000 }).toBeGreaterThan(0);
        const box = (await el.boundingBox())!;
        expect(box.width, name).toBeGreaterThan(0);
        expect(box.x, name).toBeGreaterThanOrEqual(-1);
        expect(box.x + box.width, name).toBeLessThanOrEqual(vp.width + 1);
        await el.screenshot({ path: screenshotPath(`new-user-${name}-${vp.name}.png`) });
        return el.innerText();
      };

      it('1: a wrong SSH password is shown in the card (no login page); the demo password installs the key', async () => {
        await page.goto(k.url + '/');
        const card = page.locator('spark-cluster-tile .card[data-host="spark-1"]');
        await card.locator('input[name=password]').waitFor({ timeout: 15_000 });
        expect(await seen(card.locator('[data-testid="demo-password"]'), 'demo-password')).toContain('spark-demo');
        await card.locator('input[name=password]').fill('not-the-password');
        await card.locator('button:has-text("Install key")').click();
        const err = card.locator('.err:has-text("not accepted")');
        await err.waitFor({ timeout: 20_000 });
        expect(page.url()).not.toContain('login');
        expect(await seen(err, 'ssh-refused')).toMatch(/password for spark@spark-1 was not accepted/);
        await card.locator('input[name=password]').fill('spark-demo');
        await card.locator('button:has-text("Install key")').click();
        const ok = card.locator('.muted:has-text("key")').filter({ hasText: /installed/ });
        await ok.waitFor({ timeout: 20_000 });
        expect(await seen(ok, 'key-installed')).toMatch(/key (was already )?installed/);
      }, 60_000);

      it('4: Rehydrate puts the originals back with the map handle Scrub returned', async () => {
        const tile = page.locator('spark-redaction-tile');
        await tile.locator('button:text-is("Scrub")').click();
        await tile.locator('[data-testid="scrubbed"]').waitFor({ timeout: 10_000 });
        const scrubbed = await seen(tile.locator('[data-testid="scrubbed"]'), 'scrubbed');
        expect(scrubbed).not.toContain('anna@example.com');
        expect(scrubbed).toMatch(/\[EMAIL_1\]/);
        await tile.locator('button:text-is("Rehydrate")').click();
        const back = tile.locator('[data-testid="rehydrated"]');
        await back.waitFor({ timeout: 10_000 });
        const text = await seen(back, 'rehydrated');
        expect(text).toContain('anna@example.com');
        expect(text).toContain('Anna Müller');
        expect(text).not.toMatch(/\[(EMAIL|PERSON)_\d+\]/);
      });

      it('5: Configure Sparks labels every field, fits the card, and offers which service runs where', async () => {
        const tile = page.locator('spark-cluster-tile');
        await tile.locator('button:text-is("Configure Sparks")').click();
        const form = tile.locator('[data-testid="configure"]');
        await form.waitFor();
        const inputs = form.locator('fieldset.hostset[data-index] input');
        expect(await inputs.count()).toBe(12);
        const problems = await form.evaluate((f) => {
          const out: string[] = [];
          for (const input of f.querySelectorAll('input, select')) {
            const label = f.querySelector(`label[for="${input.id}"]`) as HTMLElement | null;
            if (!label || !label.innerText.trim()) out.push(`${input.id}: no label`);
            else if (!label.classList.contains('sr') && label.getBoundingClientRect().width === 0) out.push(`${input.id}: label not shown`);
            const box = input.getBoundingClientRect(), set = input.closest('fieldset')!.getBoundingClientRect();
            if (box.right > set.right + 0.5 || box.left < set.left - 0.5) out.push(`${input.id}: runs past its card`);
          }
          return out;
        });
        expect(problems).toEqual([]);
        const placement = form.locator('[data-testid="placement"]');
        const text = await seen(placement, 'placement');
        expect(text).toContain('Which service runs where');
        for (const s of ['LLM (vLLM)', 'Transcription (Parakeet)', 'Voice (Kokoro)', 'Embeddings (bge-m3)', 'Vector store (Qdrant)']) expect(text).toContain(s);
        await seen(form.locator('fieldset.hostset[data-index="0"]'), 'host-fields');
        // What Save sends (answered here, so the test kernel stays on the simulated cluster).
        let sent: { services?: Record<string, { hostId: string; port?: string; memoryGB?: string }> } = {};
        await page.route('**/api/config/cluster', async (route) => { sent = route.request().postDataJSON(); await route.fulfill({ status: 200, contentType: 'application/json', body: '{}' }); });
        await form.locator('select#svc-kokoro').selectOption('spark-1');
        await form.locator('input#svc-kokoro-port').fill('8881');
        // What a service keeps of its Spark (models sharing it leave it that); vLLM's own share is its budget.
        await form.locator('input#svc-kokoro-mem').fill('3.5');
        expect(await form.locator('[data-service="vllm"] [data-testid="memory-gb"]').count()).toBe(0);
        await form.locator('button[type=submit]').click();
        await expect.poll(() => sent.services?.kokoro).toEqual({ hostId: 'spark-1', port: '8881', memoryGB: '3.5' });
        expect(sent.services?.vllm).toBeUndefined();
        await page.unroute('**/api/config/cluster');
      });

      it('6: no inner scroll box hides a model, a transcript or a connectivity line on a phone', async () => {
        await page.goto(k.url + '/');
        const last = page.locator('spark-vllm-tile li[data-model]').last();
        await last.locator('button:has-text("Swap")').waitFor({ timeout: 15_000 });
        const text = await seen(last, 'last-model');
        expect(text).toMatch(/Qwen3 Coder 30B/);
        if (vp.width < 720) {
          // Each box is as tall as what it holds: nothing is left below an inner scrollbar.
          for (const box of [page.locator('spark-vllm-tile ul').first(), page.locator('spark-cluster-tile ul.timeline')]) {
            await box.waitFor();
            expect(await box.evaluate((b) => b.scrollHeight - b.clientHeight)).toBeLessThanOrEqual(1);
          }
        }
      });

      it('8: an unreachable Spark shows its figures as stale; durations read like a clock', { timeout: 60_000 }, async () => {
        const card = page.locator('spark-cluster-tile .card[data-host="spark-2"]');
        await card.locator('dl').waitFor({ timeout: 15_000 });
        const containers = await card.locator('dl').innerText();
        expect(containers).not.toMatch(/\d+ seconds/);
        expect(containers).toMatch(/up \d+ (s|min)/);
        await card.locator('[data-testid="sim-toggle"]').click();
        const stale = card.locator('[data-testid="stale"]');
        await stale.waitFor({ timeout: 10_000 });
        expect(await seen(stale, 'stale')).toMatch(/^Stale: last figures from \d+ (s|min) ago/);
        expect(await card.locator('dl').getAttribute('class')).toContain('old');
        await card.locator('[data-testid="sim-toggle"]').click();
        await card.locator('[data-testid="reach"]', { hasText: /^reachable for/ }).waitFor({ timeout: 30_000 });
        expect(await card.locator('[data-testid="stale"]').count()).toBe(0);
      });

      it('8: the finished swap panel has a close; /v1/models reports the context the model was launched with', async () => {
        const tile = page.locator('spark-vllm-tile');
        const target = vp.width < 720 ? 'qwen3-4b-instruct' : 'gpt-oss-20b';
        const row = tile.locator(`li[data-model="${target}"]`);
        await row.locator('button:text-is("Swap")').click();
        const panel = tile.locator('[data-testid="swap"]:has-text("Swapped to")');
        await panel.waitFor({ timeout: 40_000 });
        expect(await seen(panel, 'swapped')).toMatch(/Swapped to (gpt-oss 20B|Qwen3 4B)/);
        await tile.locator('[data-testid="swap-close"]').click();
        expect(await tile.locator('[data-testid="swap"]').count()).toBe(0);
        const models = await (await k.fetch('/v1/models')).json();
        // Every catalog model is listed (loading on request); the one serving carries vLLM's own max_model_len.
        const serving = models.data.find((m: { state?: string }) => m.state === 'serving');
        expect(serving.max_model_len).toBe(target === 'gpt-oss-20b' ? 65536 : 32768);
        // A disabled button says why.
        const active = tile.locator(`li[data-model="${target}"] button:text-is("Active")`);
        expect(await active.isDisabled()).toBe(true);
        expect(await active.getAttribute('title')).toBe('This model is already being served');
      }, 60_000);

      it('10: a box tries a prompt on the served model', async () => {
        const tile = page.locator('spark-vllm-tile');
        const box = tile.locator('[data-testid="try-prompt"]');
        await box.locator('input[name=prompt]').fill('Say hello');
        await box.locator('button:text-is("Ask")').click();
        const answer = box.locator('[data-testid="answer"]');
        await answer.waitFor({ timeout: 15_000 });
        expect(await seen(box, 'try-prompt')).toMatch(/You said: Say hello/);
      });

      it('10: the add-local-model form never names a field it does not have', async () => {
        const tile = page.locator('spark-vllm-tile');
        await tile.locator('button:has-text("+ Add local model")').click();
        const dlg = tile.locator('dialog[data-testid="add-local"]');
        await dlg.locator('#id').fill('my-model');
        await dlg.locator('#name').fill('My model');
        await dlg.locator('#servedName').fill('my-model');
        await dlg.locator('button[type=submit]').click();
        const msg = dlg.locator('.fielderr[data-field="localPath"]');
        await msg.waitFor({ timeout: 10_000 });
        expect(await seen(msg, 'add-local-error')).toMatch(/absolute path/);
        expect(await dlg.innerText()).not.toMatch(/\brepo\b/);
        await dlg.locator('button:text-is("Cancel")').click();
      });

      it('10: search without jargon; add documents to a new collection and delete it from the tile', async () => {
        const tile = page.locator('spark-embeddings-tile');
        const name = `notes-${vp.name}`;
        await tile.locator('summary:has-text("Add your own documents")').click();
        await tile.locator('input#add-collection').fill(name);
        await tile.locator('textarea#add-docs').fill('The boiler is serviced every October.\n\nThe spare key is with the neighbour.');
        await tile.locator('button:text-is("Add documents")').click();
        const row = tile.locator(`li[data-collection="${name}"]`);
        await row.waitFor({ timeout: 15_000 });
        expect(await seen(row, 'collection')).toMatch(new RegExp(`${name}\\s+2 documents`));
        await tile.locator('select[name=collection]').selectOption(name);
        await tile.locator('input[name=q]').fill('when is the boiler serviced');
        await tile.locator('button:text-is("Search")').click();
        await tile.locator('[data-testid="hits"] li').first().waitFor({ timeout: 15_000 });
        const results = await seen(tile.locator('[data-testid="hits"]'), 'hits');
        expect(results).toMatch(/#1 · \d\.\d{3}/);
        expect(await seen(tile.locator('.legend'), 'relevance')).toMatch(/^Relevance: how well each document matches/);
        expect(await tile.locator('form').first().innerText()).not.toMatch(/\bRRF\b/);
        expect(await tile.locator('input[name=q]').getAttribute('placeholder')).not.toMatch(/\bRRF\b/);
        await row.locator('button:text-is("Delete")').click();
        await row.waitFor({ state: 'detached', timeout: 10_000 });
        const listed = await (await k.fetch('/api/collections')).json();
        expect(listed.collections.map((c: { name: string }) => c.name)).not.toContain(name);
      }, 60_000);

      it('10: Settings use written labels and plugin names as headings', async () => {
        await page.goto(k.url + '/#/settings');
        const section = page.locator('section[data-settings="cluster"]');
        await section.waitFor({ timeout: 15_000 });
        await section.locator('h2:has-text("Sparks")').waitFor();
        const heading = await seen(section.locator('h2'), 'settings-heading');
        expect(heading).toMatch(/^Sparks\s+cluster$/);
        const label = section.locator('label[for="pollIntervalMs"]');
        expect(await seen(label, 'settings-label')).toBe('Poll interval (ms)');
        expect(await page.locator('section[data-settings="vllm"] label[for="hfHome"]').innerText()).toBe('HF home');
        expect(pageErrors).toEqual([]);
      });
    });
  }
});
