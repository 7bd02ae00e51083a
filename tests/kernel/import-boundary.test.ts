import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * A plugin folder is its whole world: a built-in is built exactly like a third-party plugin. For every `.ts` file under
 * plugins/<id>/ and examples/<id>/, each import (static, `export … from`, dynamic `import()`, as TypeScript's
 * preprocessor lists them) must be one of:
 *  - a Node built-in or an npm package (a bare specifier), `@spark-control/plugin-api` included;
 *  - a relative path that stays inside the plugin's own folder.
 * Test-tier files (`*.test.ts`, `testFixtures.ts`, anything under the plugin's `sim/`, `test/` or `eval/`: evaluations run a kernel as tests do) may also use
 * `@spark-control/plugin-api/testing`, and this repo's test harness by path (`core/src/testing/`, the source of that
 * entry with the kernel internals tests poke at, and `tests/helpers/`, e.g. installing a system package). `@spark-control/plugin-api/testing` is refused in production files.
 * Imports into the shared simulator `sim/` are outside this test (whether production code may use it is the simulator
 * move's rule, issue 20 item 1); everything else — core internals, another plugin's folder — fails.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + sep);

/** Why `spec`, imported by `file` of the plugin in `pluginDir`, crosses the boundary; undefined when it does not. */
function violation(pluginDir: string, file: string, spec: string): string | undefined {
  const rel = relative(pluginDir, file).split(sep);
  const testTier = file.endsWith('.test.ts') || rel.at(-1) === 'testFixtures.ts' || rel[0] === 'sim' || rel[0] === 'test' || rel[0] === 'eval';
  if (!spec.startsWith('.') && !spec.startsWith('/')) {
    if (spec === '@spark-control/plugin-api/testing') return testTier ? undefined : 'the testing entry in production code';
    if (spec.startsWith('@spark-control/') && spec !== '@spark-control/plugin-api') return 'an unknown @spark-control entry';
    return undefined; // node built-in or npm package
  }
  const target = resolve(dirname(file), spec);
  if (inside(pluginDir, target)) return undefined;
  if (inside(join(root, 'sim'), target)) return undefined; // see above: the simulator move's rule
  if (testTier && (inside(join(root, 'core/src/testing'), target) || inside(join(root, 'tests/helpers'), target))) return undefined;
  if (inside(join(root, 'core'), target)) return 'kernel internals (import @spark-control/plugin-api instead)';
  if (inside(join(root, 'plugins'), target) || inside(join(root, 'examples'), target)) return "another plugin's folder (use its extension point)";
  return 'a path outside the plugin';
}

function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

describe('plugins import only the plugin API and their own folder', () => {
  it('the rule refuses what it must and lets the rest through', () => {
    const dir = join(root, 'plugins/lab');
    const src = join(dir, 'src/x.ts');
    const test = join(dir, 'lab.test.ts');
    expect(violation(dir, src, '../../../core/src/kernel/Kernel.js')).toMatch(/kernel internals/);
    expect(violation(dir, src, '../../../core/src/api/index.js')).toMatch(/kernel internals/);
    expect(violation(dir, src, '../../vllm/src/hooks.js')).toMatch(/another plugin/);
    expect(violation(dir, src, '../../../examples/comfyui/src/index.js')).toMatch(/another plugin/);
    expect(violation(dir, src, '../../../scripts/build.mjs')).toMatch(/outside the plugin/);
    expect(violation(dir, src, '@spark-control/plugin-api/testing')).toMatch(/testing entry/);
    expect(violation(dir, src, '../../../core/src/testing/createTestKernel.js')).toMatch(/kernel internals/);
    for (const ok of ['@spark-control/plugin-api', 'zod', 'node:fs', './y.js', '../index.js']) expect(violation(dir, src, ok), ok).toBeUndefined();
    for (const ok of ['@spark-control/plugin-api/testing', '../../core/src/testing/createTestKernel.js']) expect(violation(dir, test, ok), ok).toBeUndefined();
    expect(importsOf("import a from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');\nimport type { D } from 'd';")).toEqual(['./a.js', '../b.js', './c.js', 'd']);
    expect(BUILTINS.has('node:fs')).toBe(true);
  });

  it('no built-in plugin or example crosses it', () => {
    const pluginDirs = ['plugins', 'examples'].flatMap((top) =>
      readdirSync(join(root, top)).map((d) => join(root, top, d)).filter((d) => statSync(d).isDirectory()));
    expect(pluginDirs.map((d) => relative(root, d))).toEqual(expect.arrayContaining(['plugins/vllm', 'plugins/redaction', 'examples/comfyui']));
    const found: string[] = [];
    let checked = 0;
    for (const dir of pluginDirs) {
      for (const file of tsFiles(dir)) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          checked++;
          const why = violation(dir, file, spec);
          if (why) found.push(`${relative(root, file)}: ${spec} — ${why}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(found, found.join('\n')).toEqual([]);
  });
});
