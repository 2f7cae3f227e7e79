import { defineConfig } from "vitest/config";

/**
 * Tests whose assertions are measurements (the bench gate's A/A and A/B must-shows, the build
 * cache's speed-up): they run after everything else, one file at a time, so that no other test
 * competes for the 2 cores while they measure.
 */
const TIMING = ["test/bench.slow.test.ts", "test/build-e2e.slow.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // onnxruntime-node sessions and big fixtures are memory-heavy: two forks fit the 2-core machine.
    pool: "forks",
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...TIMING],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "timing", include: TIMING, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
