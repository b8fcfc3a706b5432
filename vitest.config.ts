import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Real PostgreSQL, SQLite, sockets and child processes: generous per-test budget, no timing asserts.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./src/testing/global-setup.ts'],
  },
});
