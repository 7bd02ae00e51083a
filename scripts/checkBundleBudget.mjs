// Measures the built dashboard (dist/ui) the way a browser downloads it, gzipped, and holds it to a budget
// (bundleBudget.mjs). Used by build.mjs, which fails on any bundle over its limit, and by tests/build.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const gz = (file) => gzipSync(readFileSync(file)).length;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Gzipped bytes of the shell (`app.js`), of the vendor folder as a whole (`vendor`) and of each built-in tile. */
export function measureBundles(uiDir) {
  const sizes = {};
  if (existsSync(join(uiDir, 'app.js'))) sizes['app.js'] = gz(join(uiDir, 'app.js'));
  const vendor = join(uiDir, 'vendor');
  if (existsSync(vendor)) sizes.vendor = readdirSync(vendor).reduce((n, f) => n + gz(join(vendor, f)), 0);
  const plugins = join(uiDir, 'plugins');
  for (const id of existsSync(plugins) ? readdirSync(plugins).sort() : []) {
    const tile = join(plugins, id, 'tile.js');
    if (existsSync(tile)) sizes[`plugins/${id}/tile.js`] = gz(tile);
  }
  return sizes;
}

/**
 * Every bundle of `uiDir` over its limit in `budgetKib` (KiB, gzipped; a tile without a line of its own has
 * `plugins/*\/tile.js`'s), each with a message naming the file, its size and its budget. A bundle with no limit at all
 * is reported too: an unmeasured bundle is how a budget stops meaning anything.
 */
export function checkBundleBudget(uiDir, budgetKib) {
  const sizes = measureBundles(uiDir);
  const over = [];
  for (const [file, bytes] of Object.entries(sizes)) {
    const limitKib = budgetKib[file] ?? (file.startsWith('plugins/') ? budgetKib['plugins/*/tile.js'] : undefined);
    if (limitKib === undefined) {
      over.push({ file, bytes, budgetBytes: 0, message: `dist/ui/${file} is ${kib(bytes)} gzipped and has no budget: add one to scripts/bundleBudget.mjs` });
      continue;
    }
    const budgetBytes = Math.round(limitKib * 1024);
    if (bytes > budgetBytes) {
      over.push({ file, bytes, budgetBytes, message: `dist/ui/${file} is ${kib(bytes)} gzipped (${bytes} B), over its budget of ${kib(budgetBytes)} (${budgetBytes} B) in scripts/bundleBudget.mjs` });
    }
  }
  return { sizes, over };
}
