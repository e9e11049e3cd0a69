import { defineConfig } from 'vitest/config';
import { systemTestFiles } from './scripts/test-tools.js';

// Two projects: `unit` needs only npm (`npm run test:unit`); `system` runs Debian tools or needs
// root. The split is read from scripts/test-tools.ts, the list `npm test`'s pretest checks, so a
// test listed there as running a tool is never in `unit` (test/test-tools.test.ts checks the list).
const SYSTEM = systemTestFiles();

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // End-to-end suites start real servers on loopback; two cores, so keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
    // CI reads the counts from the JSON report (.ci/run prints "N passed, N failed").
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: SYSTEM,
        },
      },
      { extends: true, test: { name: 'system', include: SYSTEM } },
    ],
  },
});
