#!/usr/bin/env node
// Builds dist/plugin-api/: the public plugin API as its own npm package, `@spark-control/plugin-api`.
//   .          lib/index.js    the API runtime (defineSparkPlugin, SparkError, sh, validators…) + types
//   ./testing  lib/testing.js  createTestKernel + checkPluginContract: the whole kernel and the simulated cluster,
//                              bundled (npm packages stay external: they become the package's dependencies)
// The bundled kernel finds its assets (sim fakes, dashboard) next to the bundle instead of in a repo checkout.
// Flags: --pack (also `npm pack` into dist/), --quiet.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/plugin-api');
const args = new Set(process.argv.slice(2));
const say = (...m) => { if (!args.has('--quiet')) console.log('[plugin-api]', ...m); };
const t0 = Date.now();

const apiVersion = /SPARK_PLUGIN_API_VERSION = '([^']+)'/.exec(readFileSync(join(root, 'core/src/api/definePlugin.ts'), 'utf8'))?.[1];
if (!apiVersion) throw new Error('SPARK_PLUGIN_API_VERSION not found in core/src/api/definePlugin.ts');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'lib'), { recursive: true });

const apiDir = join(root, 'core/src/api');
const pathsFile = join(root, 'core/src/kernel/paths.ts');

/** Inside the package there is no repo: the "root" the kernel and the simulator read assets from is the package. */
const packageRoot = {
  name: 'package-root',
  setup(b) {
    b.onLoad({ filter: /core[\\/]src[\\/]kernel[\\/]paths\.ts$/ }, (a) => a.path === pathsFile ? {
      loader: 'ts',
      contents: `import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
export function repoRoot(): string { return root; }
export function runningFromDist(): boolean { return false; }
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string { return resolve(env.SPARK_DATA_DIR || join(process.cwd(), '.data')); }
`,
    } : undefined);
  },
};

/** The kernel bundle imports the API from ./index.js, so a plugin and the test kernel share one SparkError etc. */
const sharedApi = {
  name: 'shared-api',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (a) => {
      if (a.importer.startsWith(apiDir)) return undefined;
      const target = resolve(a.resolveDir, a.path).replace(/\.js$/, '.ts');
      return dirname(target) === apiDir ? { path: './index.js', external: true } : undefined;
    });
  },
};

const common = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning', tsconfig: join(root, 'tsconfig.json'), metafile: true, legalComments: 'none' };
const api = await build({ ...common, entryPoints: [join(apiDir, 'index.ts')], outfile: join(out, 'lib/index.js') });
const testing = await build({ ...common, entryPoints: [join(root, 'core/src/testing/index.ts')], outfile: join(out, 'lib/testing.js'), plugins: [packageRoot, sharedApi] });

// Every bare import left in the bundles is a dependency, pinned to the range the app itself uses.
const imported = new Set();
for (const m of [api.metafile, testing.metafile]) {
  for (const o of Object.values(m.outputs)) for (const i of o.imports) if (i.external && !i.path.startsWith('.') && !i.path.startsWith('node:')) imported.add(i.path);
}
const pkgName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const deps = [...new Set([...imported].map(pkgName))].sort();
const missing = deps.filter((d) => !rootPkg.dependencies?.[d]);
if (missing.length) throw new Error(`bundles import packages the app does not depend on: ${missing.join(', ')}`);
const PEERS = new Set(['zod']); // plugins and the kernel must see one zod copy (schemas cross the boundary)

// Declarations, file by file without a type-checking pass (TypeScript's isolated-declarations emitter: ~100 ms
// instead of ~20 s of tsc over the whole kernel), starting at the two public entries and following their relative
// imports, so only the public surface ships. `npm run typecheck` checks the sources; the SDK test compiles a plugin
// against the result.
const typesDir = join(out, 'types');
const { default: ts } = await import(pathToFileURL(join(root, 'node_modules/typescript/lib/typescript.js')).href);
const emitted = new Set();
const emitTypes = (srcFile) => {
  if (emitted.has(srcFile)) return;
  emitted.add(srcFile);
  const r = ts.transpileDeclaration(readFileSync(srcFile, 'utf8'), {
    fileName: srcFile,
    compilerOptions: { isolatedDeclarations: true, declaration: true, stripInternal: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  if (r.diagnostics?.length) {
    const where = (d) => `${relative(root, srcFile)}:${d.file ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : '?'}`;
    throw new Error(`declarations of the public API need explicit types:\n${r.diagnostics.map((d) => `  ${where(d)} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`).join('\n')}`);
  }
  const dest = join(typesDir, relative(root, srcFile)).replace(/\.ts$/, '.d.ts');
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, r.outputText);
  for (const m of r.outputText.matchAll(/(?:from\s+|import\()\s*['"](\.\.?\/[^'"]+)['"]/g)) emitTypes(resolve(dirname(srcFile), m[1].replace(/\.js$/, '.ts')));
};
emitTypes(join(apiDir, 'index.ts'));
emitTypes(join(root, 'core/src/testing/index.ts'));
const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));

// Assets the bundled simulator and kernel read at run time (paths relative to the package root, as in the repo).
// (Built-in plugins' simulators, and their assets, stay in their plugins: a third-party plugin brings its own.)
cpSync(join(root, 'sim/fakeroot'), join(out, 'sim/fakeroot'), { recursive: true });
if (!existsSync(join(root, 'dist/ui/app.js'))) execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--ui-only', '--quiet'], { cwd: root, stdio: 'inherit' });
// The dashboard shell lets an author open the test kernel's URL and see their tile; built-in tiles stay out.
cpSync(join(root, 'dist/ui'), join(out, 'dist/ui'), { recursive: true, filter: (src) => !relative(join(root, 'dist/ui'), src).startsWith('plugins') });

const pkg = {
  name: '@spark-control/plugin-api',
  version: apiVersion,
  description: 'Public plugin API of Spark Control (DGX Spark control plane): defineSparkPlugin, ctx types, errors, shell quoting, and test helpers (createTestKernel, checkPluginContract).',
  type: 'module',
  license: rootPkg.license,
  engines: rootPkg.engines,
  keywords: ['spark-control', 'spark-control-plugin-api', 'dgx-spark'],
  exports: {
    '.': { types: './types/core/src/api/index.d.ts', import: './lib/index.js' },
    './testing': { types: './types/core/src/testing/index.d.ts', import: './lib/testing.js' },
    './package.json': './package.json',
  },
  types: './types/core/src/api/index.d.ts',
  sideEffects: ['./lib/testing.js'],
  files: ['lib', 'types', 'sim', 'dist', 'README.md'],
  dependencies: Object.fromEntries(deps.filter((d) => !PEERS.has(d)).map((d) => [d, rootPkg.dependencies[d]])),
  peerDependencies: Object.fromEntries(deps.filter((d) => PEERS.has(d)).map((d) => [d, rootPkg.dependencies[d]])),
};
writeFileSync(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(join(out, 'README.md'), `# @spark-control/plugin-api ${apiVersion}

The public plugin API of Spark Control. Write a plugin with \`defineSparkPlugin\` from \`@spark-control/plugin-api\`;
test it with \`createTestKernel\` and \`checkPluginContract\` from \`@spark-control/plugin-api/testing\` (a real kernel on a
simulated two-Spark cluster, on 127.0.0.1). Tutorial, \`ctx\` reference, tile contract and semver policy: docs/plugins.md
in the Spark Control repository.

Semver: this package's version is the plugin API version the kernel checks \`manifest.apiVersion\` against. Removing or
narrowing anything exported here, changing a stable error code or what a \`ctx\` member does is a major change.
`);

const size = walk(out).reduce((n, f) => n + statSync(f).size, 0);
say(`dist/plugin-api ${pkg.version}: ${(size / 1024).toFixed(0)} KiB on disk, deps ${Object.keys(pkg.dependencies).join(' ')}, peer ${Object.keys(pkg.peerDependencies).join(' ')} (${Date.now() - t0} ms)`);
if (args.has('--pack')) {
  const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', join(root, 'dist')], { cwd: out, encoding: 'utf8' }).trim();
  say(`packed dist/${file} (${(statSync(join(root, 'dist', file)).size / 1024).toFixed(0)} KiB)`);
}
