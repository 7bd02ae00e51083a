import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** Pixels of a usage chart's canvas that are drawn in a bar colour (opaque, not the page background). */
async function barPixels(page: Page, testid: string): Promise<{ drawn: number; width: number }> {
  return page.evaluate((id) => {
    const find = (root: Document | ShadowRoot): Element | undefined => {
      for (const el of root.querySelectorAll('*')) {
        if (el.getAttribute('data-testid') === id) return el;
        const inner = el.shadowRoot && find(el.shadowRoot);
        if (inner) return inner;
      }
      return undefined;
    };
    const chart = find(document);
    const canvas = chart?.shadowRoot?.querySelector('canvas');
    if (!canvas) return { drawn: 0, width: 0 };
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = getComputedStyle(chart!).getPropertyValue('--spark-accent').trim();
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 60) drawn++;
    return { drawn, width: canvas.getBoundingClientRect().width };
  }, testid);
}

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describeBrowser('clients and usage page in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;
  let key = '';
  let clientId = '';
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['vllm'], simPreload: true, usage: { flushMs: 50 } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  const bearer = (path: string, init: RequestInit = {}) => fetch(k.url + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> ?? {}) } });

  it('is reached from the navigation and says what to do when there is nothing yet', async () => {
    await page.goto(k.url + '/');
    await page.locator('nav a[href="#/clients"]').click();
    await page.locator('spark-clients-page [data-testid="no-clients"]').waitFor();
    expect(await page.locator('nav a[href="#/clients"]').getAttribute('aria-current')).toBe('page');
    // The page's own catalog request (GET /api/models, a vLLM route) is counted for the browser as an unkeyed
    // client, so the usage part may already show it; either way it shows a state, not a blank.
    await page.locator('[data-testid="usage-empty"], [data-testid="usage-table"]').first().waitFor();
  }, 60_000);

  it('creates a client: field errors from the server sit by their field, then the key is shown once with a snippet', async () => {
    await page.locator('button:has-text("+ New client")').click();
    const form = page.locator('spark-client-form');
    // Nothing typed and no scope ticked: the server's 400 names both fields.
    await form.locator('input[name="scope"][value="inference"]').uncheck();
    await form.locator('button[type="submit"]').click();
    await form.locator('.err[data-field="name"]').waitFor();
    expect(await form.locator('.err[data-field="name"]').textContent()).toMatch(/required/);
    expect(await form.locator('.err[data-field="scopes"]').textContent()).toMatch(/at least one scope/);

    await form.locator('#name').fill('transcriber');
    await form.locator('input[name="scope"][value="inference"]').check();
    await form.locator('input[name="scope"][value="read"]').check();
    await form.locator('#limit-perMinute').fill('100');
    await form.locator('[data-testid="restrict-models"]').check();
    await form.locator('input[data-model="qwen3-4b-instruct"]').check();
    const [sent] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/api/clients') && r.method() === 'POST' && r.postData()!.includes('transcriber')),
      form.locator('button[type="submit"]').click(),
    ]);
    expect(JSON.parse(sent.postData()!)).toEqual({ name: 'transcriber', scopes: ['inference', 'read'], priority: 0, limits: { perMinute: 100 }, allow: { models: ['qwen3-4b-instruct'] }, expiresAt: null });
    const panel = page.locator('[data-testid="new-key-panel"]');
    await panel.waitFor();
    key = (await panel.locator('[data-testid="new-key"]').textContent())!.trim();
    expect(key).toMatch(/^spk_[A-Za-z0-9_-]{43}$/);
    expect(await panel.textContent()).toMatch(/will not be shown again/);
    const snippet = (await panel.locator('[data-testid="snippet"]').textContent())!;
    expect(snippet).toContain(`api_key="${key}"`);
    expect(snippet).toContain('base_url="http://<spark-control-url>/v1"');
    // The copy button works (headless Chromium on http: the fallback path, or the clipboard API).
    await panel.locator('button:has-text("Copy key")').click();
    await panel.locator('.ok:has-text("Copied"), .err:has-text("by hand")').first().waitFor();

    const row = page.locator('tr[data-name="transcriber"]');
    await row.waitFor();
    clientId = (await row.getAttribute('data-client'))!;
    expect(await row.locator('[data-testid="state"]').textContent()).toContain('Active');
    expect(await row.textContent()).toContain(key.slice(0, 10));
    expect(await row.textContent()).toContain('100/min');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('clients-new-key-desktop.png'), fullPage: true });

    // Dismissed, the key is nowhere on the page any more (and the list never had it).
    await panel.locator('button:has-text("I have copied the key")').click();
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate((k) => {
      const all = (root: Document | ShadowRoot): string => [...root.querySelectorAll('*')].map((el) => (el.shadowRoot ? all(el.shadowRoot) : '') + (el.children.length ? '' : el.textContent ?? '')).join(' ');
      return all(document).includes(k);
    }, key)).toBe(false);
  }, 60_000);

  it('counts what the key does: its requests appear in the usage table and the requests plot', async () => {
    const models = await bearer('/v1/models');
    expect(models.status).toBe(200);
    expect((await models.json()).data[0].id).toBe('qwen3-4b');
    expect((await bearer('/v1/models')).status).toBe(200);
    // Another program, unkeyed, on earlier days (made up here, straight into the database) so the plots have several
    // bars and two clients to stack; what is under test for the key is its own live count above.
    const put = k.app.clients.db.prepare('INSERT INTO usage (day, client, plugin, subject, counter, value) VALUES (?, ?, ?, ?, ?, ?)');
    for (const [ago, n] of [[1, 40], [2, 25], [4, 60]] as const) {
      put.run(day(ago), 'anon:cron-nightly', 'vllm', '', 'requests', n);
      put.run(day(ago), 'anon:cron-nightly', 'vllm', 'qwen3-4b', 'prompt_tokens', n * 120);
      put.run(day(ago), 'anon:cron-nightly', 'vllm', 'qwen3-4b', 'completion_tokens', n * 45);
    }

    const line = page.locator(`[data-testid="usage-table"] tr[data-client="${clientId}"]:not(.sub)`);
    const end = Date.now() + 15_000;
    while (Date.now() < end && !(await line.count())) {
      await page.locator('spark-usage-view button:has-text("Refresh")').click();
      await page.waitForTimeout(200);
    }
    await line.waitFor({ timeout: 1000 });
    expect(await line.locator('td').first().textContent()).toBe('transcriber');
    expect(await line.locator('td[data-label="Requests"]').textContent()).toBe('2');
    const cron = page.locator('[data-testid="usage-table"] tr[data-client="anon:cron-nightly"]:not(.sub)');
    expect(await cron.locator('td').first().textContent()).toBe('cron-nightly (no key)');
    expect(await cron.locator('td[data-label="Prompt tokens"]').textContent()).toBe('15,000');
    expect(await page.locator('[data-testid="usage-table"] tr.sub[data-client="anon:cron-nightly"][data-subject="qwen3-4b"]').count()).toBe(1);
    // The page's own requests (its model list, the tiles' polls) are management, not service use: not counted, neither
    // under the dashboard's name nor under the browser's address.
    expect(await page.locator('[data-testid="usage-table"] tr[data-client="anon:dashboard"]').count()).toBe(0);
    expect(await page.locator('[data-testid="usage-table"] tr[data-client="anon:127.0.0.1"]').count()).toBe(0);
    // The last-used time came back with the usage batch.
    await page.reload();
    await page.locator(`tr[data-client="${clientId}"] [data-testid="last-used"]:has-text("just now")`).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="usage-table"]').waitFor();
    await page.waitForTimeout(300);
    expect((await barPixels(page, 'chart-requests')).drawn, 'requests bars').toBeGreaterThan(100);
    // The key's client is one of the stacked series of the requests plot (its legend), and has no tokens to plot.
    expect(await page.locator('[data-testid="chart-requests"] .u-legend').textContent()).toContain('transcriber');
    expect(await page.locator('[data-testid="chart-tokens"] .u-legend').textContent()).not.toContain('transcriber');
    expect((await barPixels(page, 'chart-tokens')).drawn + (await barPixels(page, 'chart-requests')).drawn).toBeGreaterThan(200);

    // 30 days asks for the longer range.
    const [asked] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/api/usage?')),
      page.locator('spark-usage-view button:has-text("Last 30 days")').click(),
    ]);
    const q = new URL(asked.url()).searchParams;
    expect(q.get('from')).toBe(day(29));
    expect(q.get('to')).toBe(day(0));
  }, 60_000);

  it('edits the client (a bad priority is refused by the field), then revokes it after a confirmation: the key is refused', async () => {
    const row = page.locator(`tr[data-client="${clientId}"]`);
    await row.locator('button:has-text("Edit")').click();
    const form = page.locator('spark-client-form');
    expect(await form.locator('#name').inputValue()).toBe('transcriber');
    expect(await form.locator('#limit-perMinute').inputValue()).toBe('100');
    await form.locator('#priority').fill('500');
    await form.locator('button[type="submit"]').click();
    await form.locator('.err[data-field="priority"]').waitFor();
    await form.locator('#priority').fill('7');
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'detached' });
    expect(await row.locator('td[data-label="Priority"]').textContent()).toBe('7');
    expect((await (await k.fetch(`/api/clients/${clientId}`)).json()).allow).toEqual({ models: ['qwen3-4b-instruct'] });

    await row.locator('button:has-text("Revoke")').click();
    await row.locator('[data-testid="confirm-revoke"]').waitFor();
    expect((await bearer('/v1/models')).status, 'not revoked before the confirmation').toBe(200);
    // The confirmation takes the focus, so a keyboard user confirms with Enter.
    expect(await page.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.getAttribute('data-testid');
    })).toBe('confirm-revoke');
    await page.keyboard.press('Enter');
    await row.locator('[data-testid="state"]:has-text("Revoked")').waitFor();
    const refused = await bearer('/v1/models');
    expect(refused.status).toBe(401);
    expect(await row.locator('button').count(), 'a revoked client has nothing left to do').toBe(0);
    await page.screenshot({ path: screenshotPath('clients-desktop.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(200);
    await page.screenshot({ path: screenshotPath('clients-desktop-dark.png'), fullPage: true });
    // The two 400s asked for above (empty form, bad priority) are logged by Chromium; nothing else may be.
    expect(consoleErrors.filter((m) => !m.includes('status of 400'))).toEqual([]);
  }, 60_000);

  it('fits a phone: no sideways scrolling, the lines become cards, the plots fit', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(k.url + '/#/clients');
    await phone.locator('[data-testid="usage-table"]').waitFor();
    await phone.waitForTimeout(400);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'page wider than the phone').toBeLessThanOrEqual(0);
    const chart = await barPixels(phone, 'chart-requests');
    expect(chart.drawn).toBeGreaterThan(50);
    expect(chart.width).toBeLessThanOrEqual(390);
    await phone.locator('button:has-text("+ New client")').focus();
    await phone.keyboard.press('Enter');
    await phone.locator('spark-client-form #name').waitFor();
    const overflowForm = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflowForm, 'form wider than the phone').toBeLessThanOrEqual(0);
    await phone.locator('[data-testid="client-form"]').screenshot({ path: screenshotPath('clients-form-phone.png') });
    await phone.locator('spark-client-form button:has-text("Cancel")').click();
    await phone.locator('[data-testid="clients"]').screenshot({ path: screenshotPath('clients-list-phone.png') });
    await phone.screenshot({ path: screenshotPath('clients-phone.png'), fullPage: true });
    await phone.close();
  }, 60_000);
});

describeBrowser('clients page behind the login (a token is set)', () => {
  const TOKEN = 'a-long-enough-api-token-5678';
  let k: TestKernel;
  let browser: Browser;
  beforeAll(async () => {
    k = await createTestKernel({ simulate: false, plugins: [], config: { auth: { token: TOKEN } } });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  it('a logged-in browser manages clients; a read-only key it made reads usage but not the clients', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(k.url + '/#/clients');
    await page.waitForURL(/\/login\.html/, { timeout: 15_000 }); // the fragment rides along the redirect
    await page.evaluate(async (token) => { await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }); }, TOKEN);
    await page.goto(k.url + '/#/clients');
    await page.locator('button:has-text("+ New client")').click();
    const form = page.locator('spark-client-form');
    await form.locator('#name').fill('grafana');
    await form.locator('input[name="scope"][value="inference"]').uncheck();
    await form.locator('input[name="scope"][value="read"]').check();
    await form.locator('button[type="submit"]').click();
    const key = (await page.locator('[data-testid="new-key"]').textContent())!.trim();
    expect(key).toMatch(/^spk_/);
    const get = (path: string) => fetch(k.url + path, { headers: { authorization: `Bearer ${key}` } });
    expect((await get('/api/usage')).status).toBe(200);
    expect((await get('/api/clients')).status).toBe(403);
    expect((await fetch(k.url + '/api/clients')).status, 'no key, no session').toBe(401);
    await page.locator('tr[data-name="grafana"] .pill:has-text("Read only")').waitFor();
    await page.close();
  }, 60_000);
});
