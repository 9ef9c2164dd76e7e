import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript source under the "huduma-source" condition, so
// tests run against src/ and never wait for a build. Only that condition is added to Vite's
// defaults: adding "import" or "node" here would reach Node's own resolver in the workers and
// make CommonJS require() pick ESM builds (pg breaks that way).
export default defineConfig({
  resolve: { conditions: ['huduma-source', ...defaultClientConditions] },
  ssr: {
    resolve: {
      conditions: ['huduma-source', ...defaultServerConditions],
      externalConditions: ['huduma-source'],
    },
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // fast-check's seed from HUDUMA_SEED, printed on failure (test/support/seed.ts).
    setupFiles: ['./test/support/seed.ts'],
  },
});
