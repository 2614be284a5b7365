import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Native SQLite bindings are loaded once per process; forks keep them isolated.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: { METADATA_SERVER_DETECTION: 'none' },
  },
});
