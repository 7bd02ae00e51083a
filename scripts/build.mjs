#!/usr/bin/env node
// Builds what `npm start` needs, in about a second:
//  - dist/server/**: core, plugins and sim transpiled file by file (no bundling: plugins are discovered on disk), and
//    the non-TS assets of each plugin's simulator (plugins/<id>/sim/) copied beside them
//  - dist/ui/app.js + dist/ui/vendor/*.js: the dashboard shell and the shared Lit copy (import-mapped)
//  - dist/ui/plugins/<id>/tile.js: each built-in plugin's tile, with lit external so all tiles share one Lit
// The dashboard's gzipped sizes are held to scripts/bundleBudget.mjs: a bundle over its limit fails the build.
// Flags: --ui-only (tests), --quiet.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { BUNDLE_BUDGET_KIB } from './bundleBudget.mjs';
import { checkBundleBudget } from './checkBundleBudget.mjs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const say = (...m) => { if (!quiet) console.log('[build]', ...m); };

/** Specifiers shared through the import map; tiles must not bundle their own copy. */
export const SHARED_MODULES = {
  lit: 'lit',
  'lit/decorators.js': 'lit/decorators.js',
  'lit/directives/class-map.js': 'lit/directives/class-map.js',
  'lit/directives/style-map.js': 'lit/directives/style-map.js',
  'lit/directives/repeat.js': 'lit/directives/repeat.js',
  'lit/directives/unsafe-html.js': 'lit/directives/unsafe-html.js',
  'lit/directives/live.js': 'lit/directives/live.js',
  '@lit/context': '@lit/context',
  // The chart library of <spark-history-chart>, loaded only when a chart is on screen.
  uplot: 'uplot',
};
const external = Object.keys(SHARED_MODULES);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Built-ins import `@spark-control/plugin-api` like any plugin; file-by-file transpiling keeps the specifier, so
 *  point it at the API's built files (the same modules the kernel imports: one SparkError, one copy of everything). */
const PLUGIN_API_ENTRIES = { '@spark-control/plugin-api/testing': 'core/src/testing/index.js', '@spark-control/plugin-api': 'core/src/api/index.js' };
function resolvePluginApi(file, text, outdir) {
  return text.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(@spark-control\/plugin-api(?:\/testing)?)\2/g, (all, lead, q, spec) => {
    let rel = relative(dirname(file), join(outdir, PLUGIN_API_ENTRIES[spec]));
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${lead}${q}${rel}${q}`;
  });
}

async function buildServer() {
  const entryPoints = ['core', 'plugins', 'sim']
    .filter((d) => existsSync(join(root, d)))
    .flatMap((d) => walk(join(root, d)))
    .filter((p) => !/\/ui\//.test(relative(root, p)) || relative(root, p).startsWith('core/'));
  // Built beside dist/server and swapped in at the end, as the dashboard is (buildUi): a Spark Control started from it
  // meanwhile (another test's child process) never loads a half-written tree.
  const final = join(root, 'dist/server');
  const outdir = join(root, `dist/server.next-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  const { outputFiles } = await build({
    entryPoints,
    outdir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    tsconfig: join(root, 'tsconfig.json'),
    write: false,
  });
  for (const f of outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.path.endsWith('.js') ? resolvePluginApi(f.path, f.text, outdir) : f.contents);
  }
  // A plugin's simulator reads its non-TS assets (e.g. vLLM's fake launcher) beside its own module: copy them along.
  let assets = 0;
  for (const id of existsSync(join(root, 'plugins')) ? readdirSync(join(root, 'plugins')) : []) {
    const simDir = join(root, 'plugins', id, 'sim');
    if (!existsSync(simDir)) continue;
    const copied = (src) => statSync(src).isDirectory() || !src.endsWith('.ts');
    cpSync(simDir, join(outdir, 'plugins', id, 'sim'), { recursive: true, filter: copied });
    assets += readdirSync(simDir, { recursive: true }).filter((f) => copied(join(simDir, f)) && !statSync(join(simDir, f)).isDirectory()).length;
  }
  swapInto(outdir, final);
  say(`server: ${entryPoints.length} files, ${assets} simulator assets`);
}

/** Puts a finished build where it belongs: two renames, so the old tree is there until the new one replaces it. */
function swapInto(built, final) {
  const old = `${final}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(final)) renameSync(final, old);
  renameSync(built, final);
  rmSync(old, { recursive: true, force: true });
}

async function buildUi() {
  // Built beside dist/ui and swapped in at the end: a dashboard served meanwhile (a test's browser while another test
  // rebuilds) never finds its tiles missing.
  const final = join(root, 'dist/ui');
  const out = join(root, `dist/ui.next-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'vendor'), { recursive: true });
  // One shared copy of lit + @lit/context, split into chunks so internals dedupe.
  const vendorEntries = Object.fromEntries(Object.keys(SHARED_MODULES).map((spec) => [spec.replace(/[/@.]/g, '_'), spec]));
  await build({
    entryPoints: vendorEntries,
    outdir: join(out, 'vendor'),
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    logLevel: 'warning',
    chunkNames: 'chunk-[hash]',
  });
  const importMap = { imports: Object.fromEntries(Object.keys(SHARED_MODULES).map((spec) => [spec, `/vendor/${spec.replace(/[/@.]/g, '_')}.js`])) };
  writeFileSync(join(out, 'importmap.json'), JSON.stringify(importMap, null, 2));

  const shellEntry = join(root, 'ui/src/app.ts');
  if (existsSync(shellEntry)) {
    await build({
      entryPoints: [shellEntry],
      outfile: join(out, 'app.js'),
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      external,
      logLevel: 'warning',
      tsconfig: join(root, 'tsconfig.json'),
    });
  }
  if (existsSync(join(root, 'ui/public'))) cpSync(join(root, 'ui/public'), out, { recursive: true });
  cpSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(out, 'vendor/uplot.css'));

  const plugins = existsSync(join(root, 'plugins')) ? readdirSync(join(root, 'plugins')) : [];
  let tiles = 0;
  for (const id of plugins) {
    const entry = join(root, 'plugins', id, 'ui', 'tile.ts');
    if (!existsSync(entry)) continue;
    await build({
      entryPoints: [entry],
      outfile: join(out, 'plugins', id, 'tile.js'),
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      external,
      logLevel: 'warning',
      tsconfig: join(root, 'tsconfig.json'),
    });
    tiles++;
  }
  const { sizes, over } = checkBundleBudget(out, BUNDLE_BUDGET_KIB);
  const k = (file) => ((sizes[file] ?? 0) / 1024).toFixed(1);
  const tileSizes = Object.keys(sizes).filter((f) => f.startsWith('plugins/')).map((f) => `${f.split('/')[1]} ${k(f)}`);
  say(`ui: shell ${k('app.js')} KiB gz, vendor ${k('vendor')} KiB gz, ${tiles} tiles (${tileSizes.join(', ')} KiB gz)`);
  if (over.length) {
    // The dashboard already served stays as it was: an over-budget build is not swapped in.
    rmSync(out, { recursive: true, force: true });
    console.error(`[build] FAILED: over the bundle budget\n${over.map((o) => `  ${o.message}`).join('\n')}`);
    process.exit(1);
  }
  swapInto(out, final);
}

await buildUi();
if (!args.has('--ui-only')) await buildServer();
