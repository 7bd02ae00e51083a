#!/usr/bin/env node
// npm run new-plugin -- <name> [--dir <parent>] [--api <npm spec>]
// Writes spark-control-plugin-<name>/ from scripts/plugin-template: a plugin with a config schema, a route, a health
// check with a timeout, a tile, a simulator, tests (createTestKernel + checkPluginContract) and a build script.
// --api: how the plugin depends on @spark-control/plugin-api. Default: this checkout's built package
// (file:<repo>/dist/plugin-api, built first when missing) — the package is not on the npm registry, and guessing a
// registry name someone else could publish would be worse.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const templateDir = join(root, 'scripts/plugin-template');
/** Same rule as manifest.id: the name becomes the plugin id, the route prefix and the tile-tag prefix. */
const NAME = /^[a-z][a-z0-9-]{1,31}$/;

function fail(message) {
  console.error(`new-plugin: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { name: undefined, dir: process.cwd(), api: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir' || a === '--api') {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      o[a.slice(2)] = v;
    } else if (a === '-h' || a === '--help') {
      console.log('usage: npm run new-plugin -- <name> [--dir <parent folder>] [--api <npm spec for @spark-control/plugin-api>]');
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else if (o.name === undefined) o.name = a;
    else fail(`unexpected argument ${JSON.stringify(a)}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const name = opts.name;
if (!name) fail('give the plugin a name, e.g. npm run new-plugin -- comfyui');
if (!NAME.test(name)) fail(`invalid name ${JSON.stringify(name)}: use 2–32 characters, lower-case letters, digits and "-", starting with a letter (it becomes the plugin id, /api/plugins/<name> and the tile tag spark-<name>-tile)`);
if (name.endsWith('-') || name.includes('--')) fail(`invalid name ${JSON.stringify(name)}: no trailing or doubled "-" (the tile tag spark-${name}-tile would read badly)`);
const builtins = existsSync(join(root, 'plugins')) ? readdirSync(join(root, 'plugins')).filter((d) => statSync(join(root, 'plugins', d)).isDirectory()) : [];
if (builtins.includes(name)) fail(`"${name}" is a built-in plugin id; a plugin with the same id would not load (SPK_PLUGIN_DUPLICATE_ID)`);

const target = resolve(opts.dir, `spark-control-plugin-${name}`);
if (existsSync(target)) fail(`${target} already exists; refusing to overwrite it`);

const apiVersion = /SPARK_PLUGIN_API_VERSION = '([^']+)'/.exec(readFileSync(join(root, 'core/src/api/definePlugin.ts'), 'utf8'))[1];
let apiSpec = opts.api;
if (!apiSpec) {
  const built = join(root, 'dist/plugin-api');
  if (!existsSync(join(built, 'package.json'))) execFileSync(process.execPath, [join(root, 'scripts/build-plugin-api.mjs'), '--quiet'], { stdio: 'inherit' });
  apiSpec = `file:${built}`;
}

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versions = { ...rootPkg.dependencies, ...rootPkg.devDependencies };
const words = name.split('-');
const vars = {
  id: name,
  title: words.map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' '),
  className: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
  apiRange: `^${apiVersion.split('.')[0]}.${apiVersion.split('.')[1]}.0`,
  apiSpec,
};
const fill = (text, file) => text.replace(/\{\{([\w.@/-]+)\}\}/g, (_, key) => {
  const v = key.startsWith('v.') ? versions[key.slice(2)] : vars[key];
  if (v === undefined) throw new Error(`${file}: unknown template key ${key}`);
  return v;
});

const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const written = [];
for (const src of walk(templateDir)) {
  const rel = relative(templateDir, src).replace(/\.tmpl$/, '').replace(/^gitignore$/, '.gitignore');
  const dest = join(target, rel);
  mkdirSync(resolve(dest, '..'), { recursive: true });
  writeFileSync(dest, fill(readFileSync(src, 'utf8'), rel));
  written.push(rel);
}

console.log(`Created ${target} (${written.length} files: ${written.sort().join(', ')})

  cd ${relative(process.cwd(), target).startsWith('..') ? target : relative(process.cwd(), target)}
  npm install
  npm test

Then copy package.json + dist/ to $SPARK_DATA_DIR/plugins/${name}/ and restart Spark Control.`);
