import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { fixtureSkipReason, meeting, stereoCall } from '../../plugins/speech/testFixtures.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';

/** The speech tile in Chromium: a spoken 3-person meeting and a stereo call (espeak-ng + sox fixtures, as in the
 *  plugin tests) uploaded through the tile's file input, speaker-labelled blocks in distinct colours, and TTS. */
if (fixtureSkipReason) console.warn(`\n!!! SKIPPING speech tile browser test: ${fixtureSkipReason}\n`);

describeBrowser('speech tile in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;
  let page: Page;
  const files: { meeting?: string; call?: string } = {};
  const pageErrors: string[] = [];

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['speech'] });
    if (!fixtureSkipReason) {
      const dir = mkdtempSync(join(tmpdir(), 'speech-e2e-'));
      files.meeting = join(dir, 'team-meeting.wav');
      files.call = join(dir, 'support-call.wav');
      writeFileSync(files.meeting, meeting().wav);
      writeFileSync(files.call, stereoCall().wav);
    }
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  const blockInfo = () => page.locator('spark-speech-tile .block').evaluateAll((els) => els.map((el) => ({
    speaker: el.querySelector('[data-testid="speaker"]')?.textContent?.trim() ?? '',
    color: getComputedStyle(el).borderLeftColor,
    text: el.querySelector('[data-testid="text"]')?.textContent?.trim() ?? '',
  })));

  it.skipIf(!!fixtureSkipReason)('transcribes an uploaded meeting into speaker blocks with distinct colours, a stereo call with local blocks, and speaks', async () => {
    await page.goto(k.url + '/');
    const tile = page.locator('spark-speech-tile');
    await tile.locator('input[type=file]').waitFor({ timeout: 15_000 });

    await tile.locator('input[type=file]').setInputFiles(files.meeting!);
    await tile.locator('button:text-is("Transcribe")').click();
    await tile.locator('.block').first().waitFor({ timeout: 20_000 });
    const blocks = await blockInfo();
    expect(blocks.length).toBe(7);
    const colourOf = new Map<string, string>();
    for (const b of blocks) {
      expect(b.text.length).toBeGreaterThan(5);
      if (colourOf.has(b.speaker)) expect(b.color, b.speaker).toBe(colourOf.get(b.speaker));
      colourOf.set(b.speaker, b.color);
    }
    expect(colourOf.size).toBe(3);
    expect(new Set(colourOf.values()).size).toBe(3);
    await page.screenshot({ path: screenshotPath('speech-meeting.png'), fullPage: true });

    // Dual-channel: the stereo call with the local microphone on the left.
    await tile.locator('input[type=file]').setInputFiles(files.call!);
    await tile.locator('input[name=dual]').check();
    await tile.locator('button:text-is("Transcribe")').click();
    await tile.locator('.block:has-text("support line")').waitFor({ timeout: 20_000 });
    const call = await blockInfo();
    const local = call.filter((b) => /local/i.test(b.speaker));
    expect(local.length).toBeGreaterThanOrEqual(4);
    expect(local[0].text).toMatch(/^Hi, thanks for calling the support line\./);
    const remoteColours = new Set(call.filter((b) => !/local/i.test(b.speaker)).map((b) => b.color));
    expect(remoteColours.size).toBe(2);
    expect(remoteColours.has(local[0].color)).toBe(false);

    // Text to speech: an <audio> element with a blob source the browser can decode.
    await tile.locator('input[aria-label="Text to speak"]').fill('Good morning, the budget meeting starts now.');
    await tile.locator('button:text-is("Speak")').click();
    const audio = tile.locator('audio');
    await audio.waitFor({ timeout: 15_000 });
    const played = await audio.evaluate((el: HTMLAudioElement) => new Promise<{ src: string; duration: number; error: number | null }>((resolve) => {
      const done = () => resolve({ src: el.src, duration: el.duration, error: el.error?.code ?? null });
      if (el.readyState >= 1) done();
      el.addEventListener('loadedmetadata', done, { once: true });
      el.addEventListener('error', done, { once: true });
    }));
    expect(played.src).toMatch(/^blob:/);
    expect(played.error).toBeNull();
    expect(played.duration).toBeGreaterThan(1);
    await page.screenshot({ path: screenshotPath('speech.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
