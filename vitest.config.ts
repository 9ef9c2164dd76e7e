import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript source under the "huduma-source" condition,
// so tests run against src/ and never wait for a build.
const conditions = ['huduma-source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['huduma-source'] } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
