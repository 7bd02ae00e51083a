import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  // Built-ins import the plugin API by its package name, like a third-party plugin (tsconfig.json paths, build.mjs).
  resolve: {
    alias: [
      { find: /^@spark-control\/plugin-api$/, replacement: here('./core/src/api/index.ts') },
      { find: /^@spark-control\/plugin-api\/testing$/, replacement: here('./core/src/testing/index.ts') },
    ],
  },
  test: {
    include: ['core/**/*.test.ts', 'plugins/**/*.test.ts', 'sim/**/*.test.ts', 'tests/**/*.test.ts', 'ui/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'package/**', 'examples/**'],
    setupFiles: ['reflect-metadata'],
    globalSetup: ['tests/setup/global-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
