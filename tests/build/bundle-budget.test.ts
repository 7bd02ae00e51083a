import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_KIB } from '../../scripts/bundleBudget.mjs';
import { checkBundleBudget } from '../../scripts/checkBundleBudget.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Built by the global setup (scripts/build.mjs --ui-only), as the dashboard serves it. */
const ui = `${root}dist/ui`;

describe('bundle budget of the dashboard (scripts/bundleBudget.mjs)', () => {
  it('measures the real build (shell, vendor, every built-in tile) and finds it within budget', () => {
    const { sizes, over } = checkBundleBudget(ui, BUNDLE_BUDGET_KIB);
    const tiles = readdirSync(`${root}plugins`).filter((id) => existsSync(`${root}plugins/${id}/ui/tile.ts`)).map((id) => `plugins/${id}/tile.js`);
    // Every bundle is measured, so none escapes the budget by not being looked at.
    expect(Object.keys(sizes).sort()).toEqual(['app.js', 'vendor', ...tiles].sort());
    for (const [file, bytes] of Object.entries(sizes)) expect(bytes, file).toBeGreaterThan(500);
    expect(over.map((o) => o.message)).toEqual([]);
  });

  it('reports each bundle over a tiny budget by name, size and limit', () => {
    const { sizes, over } = checkBundleBudget(ui, { 'app.js': 1, vendor: 1, 'plugins/*/tile.js': 0.5 });
    expect(over.map((o) => o.file).sort()).toEqual(Object.keys(sizes).sort());
    const app = over.find((o) => o.file === 'app.js')!;
    expect(app.budgetBytes).toBe(1024);
    expect(app.message).toBe(`dist/ui/app.js is ${(sizes['app.js'] / 1024).toFixed(1)} KiB gzipped (${sizes['app.js']} B), over its budget of 1.0 KiB (1024 B) in scripts/bundleBudget.mjs`);
  });

  it('holds a tile to its own line before the default, and reports a bundle with no budget at all', () => {
    const { sizes, over } = checkBundleBudget(ui, { 'app.js': 1000, 'plugins/speech/tile.js': 0.5, 'plugins/*/tile.js': 1000 });
    expect(over.map((o) => o.file).sort()).toEqual(['plugins/speech/tile.js', 'vendor']);
    expect(over.find((o) => o.file === 'vendor')!.message).toBe(`dist/ui/vendor is ${(sizes.vendor / 1024).toFixed(1)} KiB gzipped and has no budget: add one to scripts/bundleBudget.mjs`);
  });
});
