import type { Reporter, TestModule } from "vitest/node"

/**
 * Ends a test run with one plain line, `tests: N passed, N failed, N skipped`, that any log
 * reader can count, whatever it knows of vitest's own summary.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") count.passed++
        else if (state === "failed") count.failed++
        else count.skipped++
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) count.failed++
    }
    process.stdout.write(
      `\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`
    )
  }
}
