import { defineConfig } from 'vitest/config';

export default defineConfig({
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
