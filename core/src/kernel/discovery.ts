import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SparkPlugin } from '../api/types.js';
import { repoRoot, runningFromDist } from './paths.js';
import { codes } from '../api/codes.js';

export type PluginSource = 'builtin' | 'dir' | 'npm' | 'inline';

/** A plugin module found on disk (not yet imported). */
export interface PluginCandidate {
  source: PluginSource;
  /** Best guess before import (folder or package name); the manifest id wins after import. */
  name: string;
  entry?: string;
  uiDir: string;
  packageDir?: string;
  /** Already-imported plugin (tests, createTestKernel). */
  plugin?: SparkPlugin;
}

export const NPM_PLUGIN_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?spark-control-plugin-[a-z0-9-._~]+$/;

/** Built-ins: every `plugins/<id>/index.(ts|js)`; tiles come from dist/ui/plugins/<id>. */
export function discoverBuiltins(only?: string[]): PluginCandidate[] {
  const root = repoRoot();
  const base = runningFromDist() ? join(root, 'dist/server/plugins') : join(root, 'plugins');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((d) => !only || only.includes(d))
    .flatMap((d) => {
      const entry = ['index.js', 'index.ts'].map((f) => join(base, d, f)).find((p) => existsSync(p));
      return entry ? [{ source: 'builtin' as const, name: d, entry, uiDir: join(root, 'dist/ui/plugins', d), packageDir: join(root, 'plugins', d) }] : [];
    });
}

function readPackage(dir: string): { name?: string; main?: string; sparkControl?: { main?: string; ui?: string } } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function candidateFromPackage(dir: string, source: 'dir' | 'npm', fallbackName: string): PluginCandidate {
  const pkg = readPackage(dir);
  const main = pkg?.sparkControl?.main ?? pkg?.main ?? 'dist/index.js';
  return {
    source,
    name: pkg?.name ?? fallbackName,
    entry: resolve(dir, main),
    uiDir: resolve(dir, pkg?.sparkControl?.ui ?? 'dist/ui'),
    packageDir: dir,
  };
}

/** Third-party plugins: `<pluginsDir>/<name>/package.json` folders and npm packages named
 *  `spark-control-plugin-*` / `@scope/spark-control-plugin-*` in `<pluginsDir>/node_modules`. */
export function discoverInstalled(pluginsDir: string): PluginCandidate[] {
  if (!existsSync(pluginsDir)) return [];
  const out: PluginCandidate[] = [];
  for (const d of readdirSync(pluginsDir)) {
    const dir = join(pluginsDir, d);
    if (d === 'node_modules' || d.startsWith('.') || !statSync(dir).isDirectory()) continue;
    if (existsSync(join(dir, 'package.json'))) out.push(candidateFromPackage(dir, 'dir', d));
  }
  const nm = join(pluginsDir, 'node_modules');
  if (existsSync(nm)) {
    for (const d of readdirSync(nm)) {
      const names = d.startsWith('@') ? readdirSync(join(nm, d)).map((s) => `${d}/${s}`) : [d];
      for (const name of names) {
        if (NPM_PLUGIN_NAME.test(name) && existsSync(join(nm, name, 'package.json'))) out.push(candidateFromPackage(join(nm, name), 'npm', name));
      }
    }
  }
  return out;
}

/** Imports a candidate's module; the default export (or `plugin` export) must be a branded SparkPlugin. */
export async function importCandidate(c: PluginCandidate): Promise<SparkPlugin> {
  if (c.plugin) return c.plugin;
  if (!c.entry || !existsSync(c.entry)) throw Object.assign(new Error(`entry file not found: ${c.entry ?? '(none)'}`), { code: codes.PLUGIN_LOAD_FAILED });
  const mod = await import(pathToFileURL(c.entry).href);
  const p = (mod.default ?? mod.plugin) as SparkPlugin | undefined;
  if (!p || p.$$type !== 'spark-control/plugin@1') {
    throw Object.assign(new Error('module does not export a plugin made with defineSparkPlugin'), { code: codes.PLUGIN_INVALID });
  }
  return p;
}
