import { defineConfig } from "vitest/config"

// One root config; every workspace package keeps its tests next to its sources.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on CI machines: keep workers low so integration tests do not starve each other.
    maxWorkers: 2,
    reporters: ["default", "./scripts/summary-reporter.ts"]
  }
})
