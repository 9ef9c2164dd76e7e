import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The slow lane: end-to-end tests (test/), SIGKILL and power-cut loops, pcscd + vpcd, child-process
 * services, pages in a real chromium, full-disk mounts and long soaks. A new test that kills
 * processes, drives real devices or a browser, or runs for seconds on purpose belongs here;
 * everything else is in the fast lane.
 */
const SLOW = [
  'test/**/*.test.ts',
  '**/crash.test.ts',
  '**/model.test.ts',
  '**/bombs.test.ts',
  '**/full-disk.test.ts',
  '**/storage-full.test.ts',
  'terminal-app/test/cli-start.test.ts',
  'terminal-app/test/uploader-standing.test.ts',
  'terminal-app/test/demo-simulated-devices.test.ts',
  'terminal-app/test/web-browser.test.ts',
  'packages/transport-pcsc/test/**/*.test.ts',
  'packages/clearing-service/test/server.test.ts',
  // Waits out the edge's timeouts over real sockets, on purpose: seconds.
  'packages/clearing-service/test/edge-http.test.ts',
  'packages/clearing-service/test/merkle.test.ts',
  'packages/terminal/test/upload-seal.test.ts',
  'packages/card-conformance/test/conformance.test.ts',
];
const NEVER = ['**/node_modules/**', '**/dist/**'];

// Workspace packages export their TypeScript source under the "huduma-source" condition, so
// tests run against src/ and never wait for a build. Only that condition is added to Vite's
// defaults: adding "import" or "node" here would reach Node's own resolver in the workers and
// make CommonJS require() pick ESM builds (pg breaks that way).
//
// Two projects, run apart (scripts/test, scripts/test-fast): `fast` runs with --no-isolate, so
// each worker process loads the module graph and PGlite once instead of once per file (most of
// what makes the lane fast); a fast test file must therefore leave no global state behind (timers
// restored, env untouched, servers and databases closed). `slow` gives every file a new process.
// Isolation is a setting of the process pool, not of a project, hence one vitest run per project.
export default defineConfig({
  resolve: { conditions: ['huduma-source', ...defaultClientConditions] },
  ssr: {
    resolve: {
      conditions: ['huduma-source', ...defaultServerConditions],
      externalConditions: ['huduma-source'],
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // fast-check's seed from HUDUMA_SEED, printed on failure (test/support/seed.ts).
    setupFiles: ['./test/support/seed.ts'],
    projects: [
      { extends: true, test: { name: 'fast', include: ['**/*.test.ts'], exclude: [...NEVER, ...SLOW] } },
      { extends: true, test: { name: 'slow', include: SLOW, exclude: NEVER } },
    ],
  },
});
