import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

/** The plugin contract, checked over every built-in plugin found on disk (new plugins are covered automatically). */
const root = fileURLToPath(new URL('../..', import.meta.url));
const ids = readdirSync(join(root, 'plugins')).filter((d) => existsSync(join(root, 'plugins', d, 'index.ts')));

describe('built-in plugin contract', () => {
  it('finds the built-in plugins', () => {
    expect(ids.length).toBeGreaterThanOrEqual(6);
  });

  for (const id of ids) {
    it(`${id}: manifest, defaults, prefixes, tile tag, health-check timeouts, no I/O in register`, async () => {
      const p = (await import(pathToFileURL(join(root, 'plugins', id, 'index.ts')).href)).default as SparkPlugin;
      expect(p.$$type).toBe('spark-control/plugin@1');
      expect(p.manifest.id).toBe(id);
      expect(p.manifest.id).toMatch(/^[a-z][a-z0-9-]{1,31}$/);
      expect(p.manifest.version).toMatch(/^\d+\.\d+\.\d+/);
      expect((p.configSchema as z.ZodType).safeParse({}).success).toBe(true);
      // Boot it alone (no simulator, no hosts): register must not need the network, and nothing it declares breaks a rule.
      const k = await createTestKernel({ plugins: [id], simulate: false });
      try {
        const rec = k.kernel.get(id)!;
        expect(rec.error, JSON.stringify(rec.error)).toBeUndefined();
        expect(rec.scope?.ioDuringRegister).toEqual([]);
        for (const r of rec.scope!.router.routes) expect(r.fullPath.startsWith(`/api/plugins/${id}`)).toBe(true);
        for (const t of rec.scope!.tiles) expect(t.tag.startsWith(`spark-${id}-`)).toBe(true);
        const checks = [...(k.app.services.health as unknown as { checks: Map<string, { plugin: string; spec: { timeoutMs?: number } }> }).checks.values()].filter((c) => c.plugin === id);
        for (const c of checks) expect(c.spec.timeoutMs, `${id} health check without timeout`).toBeGreaterThan(0);
        // Its tile module is built and served.
        for (const t of rec.scope!.tiles) expect((await k.fetch(t.moduleUrl)).status, t.moduleUrl).toBe(200);
      } finally {
        await k.stop();
      }
    });
  }
});
