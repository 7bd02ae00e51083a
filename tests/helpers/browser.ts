import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';
import { ensureSystemPackage } from './system.js';

const CHROMIUM = '/usr/bin/chromium';
/** Flags that keep headless Chromium off the (closed) network and quiet on this kind of machine (testinfra.md §4). */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** `extraArgs`: e.g. Chromium's fake microphone (--use-fake-device-for-media-stream …). */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs] });
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** describe() that installs Chromium when it can and otherwise skips with a loud reason. */
export function describeBrowser(name: string, fn: () => void): void {
  const reason = ensureSystemPackage('chromium', CHROMIUM);
  if (reason) {
    console.warn(`\n!!! SKIPPING browser tests "${name}": ${reason}\n`);
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}
