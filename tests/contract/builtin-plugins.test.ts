import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SparkPlugin } from '../../core/src/api/index.js';
import { checkPluginContract, formatProblems } from '../../core/src/testing/checkPluginContract.js';

/** The plugin contract, checked over every built-in plugin found on disk (new plugins are covered automatically)
 *  with the same checker third-party authors run. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const ids = readdirSync(join(root, 'plugins')).filter((d) => existsSync(join(root, 'plugins', d, 'index.ts')));

/** Public paths outside /api/plugins/<id> that clients rely on (OpenAI-compatible APIs, the predecessor's routes).
 *  A plugin serving a prefix not listed here fails: adding one is an API change someone should look at. */
const PUBLIC_PREFIXES: Record<string, string[]> = {
  vllm: ['/v1', '/api/models', '/api/swap'],
  speech: ['/v1/audio', '/api/audio'],
  embeddings: ['/v1/embeddings', '/v1/rerank', '/api/collections', '/api/search'],
  redaction: ['/scrub', '/rehydrate'],
  'matrix-bridge': ['/api/matrix-bridge'],
};

describe('built-in plugin contract', () => {
  it('finds the built-in plugins', () => {
    expect(ids.length).toBeGreaterThanOrEqual(6);
  });

  for (const id of ids) {
    it(`${id}: manifest, defaults, prefixes, tile tag and module, health-check timeouts, no I/O in register`, async () => {
      const p = (await import(pathToFileURL(join(root, 'plugins', id, 'index.ts')).href)).default as SparkPlugin;
      expect(p.manifest.id).toBe(id);
      // Booted alone (no simulator, no hosts): register must not need the network, and nothing it declares breaks a rule.
      const problems = await checkPluginContract(p, { publicPrefixes: PUBLIC_PREFIXES[id] ?? [], uiDir: join(root, 'dist/ui/plugins', id) });
      expect(problems, formatProblems(problems)).toEqual([]);
    });
  }
});
