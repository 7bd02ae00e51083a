import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codes } from '../../core/src/api/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsFiles = (dir: string, out: string[] = []): string[] => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
};

/** Files already on the catalogue: a code literal coming back into one of them is a regression. The rest of core/src
 *  still spells some codes out; the completeness check below keeps those in the catalogue too. */
const CONVERTED = [
  'core/src/api/errors.ts', 'core/src/http/PluginRouter.ts', 'core/src/http/problem.ts', 'core/src/http/requestFrame.ts',
  'core/src/http/routeContext.ts', 'core/src/kernel/Topology.ts', 'core/src/kernel/discovery.ts', 'core/src/routes/kernelRoutes.ts',
  'core/src/services/ssh/SshPool.ts', 'core/src/testing/networkGuard.ts', 'ui/src/pages.ts',
];

describe('one catalogue of the kernel error codes', () => {
  it('names each code once, as its key (codes.X === "SPK_X")', () => {
    const entries = Object.entries(codes);
    expect(entries.length).toBeGreaterThan(60);
    for (const [k, v] of entries) expect(v).toBe(`SPK_${k}`);
    expect(new Set(Object.values(codes)).size).toBe(entries.length);
  });

  it('holds every SPK_ code the kernel or the dashboard spells out (contract-check codes are the testing entry\'s)', () => {
    const known = new Set<string>(Object.values(codes));
    const missing: string[] = [];
    for (const f of [...tsFiles(join(root, 'core/src')), ...tsFiles(join(root, 'ui/src'))]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/['"`](SPK_[A-Z][A-Z_]*[A-Z])['"`]/g)) {
        if (!m[1].startsWith('SPK_CONTRACT_') && !known.has(m[1])) missing.push(`${relative(root, f)}: ${m[1]}`);
      }
    }
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('files on the catalogue spell no code out', () => {
    const spelled = CONVERTED.flatMap((f) => [...readFileSync(join(root, f), 'utf8').matchAll(/['"`]SPK_[A-Z_]*[A-Z]['"`]/g)].map((m) => `${f}: ${m[0]}`));
    expect(spelled).toEqual([]);
  });
});
