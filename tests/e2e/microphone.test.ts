import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { describeBrowser, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { ensureSystemPackage } from '../helpers/system.js';

/** Record from microphone, end to end: Chromium's fake microphone plays an espeak-ng sentence, the tile records it
 *  (WebM/Opus in Chromium), sends it as WAV, and the simulated recogniser's words come back as a transcript block. */
const espeakMissing = ensureSystemPackage('espeak-ng', '/usr/bin/espeak-ng');
if (espeakMissing) console.warn(`\n!!! SKIPPING microphone browser test: ${espeakMissing}\n`);

describeBrowser('record from microphone in Chromium', () => {
  let k: TestKernel;
  let browser: Browser;

  beforeAll(async () => {
    k = await createTestKernel({ plugins: ['speech'] });
    if (espeakMissing) return;
    const wav = join(mkdtempSync(join(tmpdir(), 'mic-e2e-')), 'voice.wav');
    execFileSync('espeak-ng', ['-w', wav, 'Hello, this is a short note for the team about the budget meeting tomorrow morning at nine.']);
    browser = await launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`]);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await k?.stop(); });

  for (const vp of [{ name: 'desktop', width: 1440, height: 900 }, { name: 'phone', width: 390, height: 844 }]) {
    it.skipIf(!!espeakMissing)(`records, sends a WAV and shows the words it got back (${vp.width}×${vp.height})`, async () => {
      const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
      await ctx.grantPermissions(['microphone'], { origin: k.url });
      const page = await ctx.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      const fake = async () => (await (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json()) as { asrChannels: number[] };
      const before = (await fake()).asrChannels.length;
      await page.goto(k.url + '/');
      const tile = page.locator('spark-speech-tile');
      await tile.locator('button:text-is("Record from microphone")').click();
      await tile.locator('button:text-is("Stop and transcribe")').waitFor();
      await page.waitForTimeout(3000);
      await tile.locator('button:text-is("Stop and transcribe")').click();
      const block = tile.locator('.block').first();
      await block.waitFor({ timeout: 30_000 });
      expect(await tile.locator('.err').count()).toBe(0);
      // The recogniser got one mono WAV (0 would mean not a WAV: the browser's WebM sent as it was).
      expect((await fake()).asrChannels.slice(before)).toEqual([1]);
      await block.scrollIntoViewIfNeeded();
      const box = (await block.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(vp.width + 1);
      await block.screenshot({ path: screenshotPath(`microphone-${vp.name}.png`) });
      const text = await block.locator('[data-testid="text"]').innerText();
      expect(text).toMatch(/^simulated transcript: the simulator heard speech/);
      expect(text.split(' ').length).toBeGreaterThanOrEqual(4);
      expect(await block.locator('[data-testid="speaker"]').innerText()).toBe('Speaker 1');
      // A file nothing can decode: the refusal reads as a sentence, not as the upstream's JSON.
      await tile.locator('input[type=file]').setInputFiles({ name: 'broken.webm', mimeType: 'audio/webm', buffer: Buffer.from('\x1aE\xdf\xa3 not really a recording') });
      await tile.locator('button:text-is("Transcribe")').click();
      const err = tile.locator('.err');
      await err.waitFor({ timeout: 20_000 });
      await err.screenshot({ path: screenshotPath(`microphone-undecodable-${vp.name}.png`) });
      const said = await err.innerText();
      expect(said).toMatch(/^Transcription failed: The transcription service refused the audio \(422\): could not decode audio\. Try a WAV/);
      expect(said).not.toContain('{');
      expect(pageErrors).toEqual([]);
      await ctx.close();
    }, 60_000);
  }
});
