/**
 * Test support published for adapter authors and hosts: the storage conformance suite
 * (`runConformance`, one spec file per port method under `spec/`), contract fixtures, and
 * helpers for asserting typed failures. Requires `vitest` and `@effect/vitest` (optional peer
 * dependencies of `@bga/core`).
 *
 * @example
 * ```ts
 * // packages/my-adapter/test/conformance.test.ts
 * import { runConformance } from "@bga/core/testing"
 * runConformance("my-adapter", () => MyAdapter.layer(testOptions()))
 * ```
 *
 * @module
 */
export { type ConformanceOptions, runConformance, specs } from "./conformance.js"
export * as Fixtures from "./fixtures.js"
export {
  createRun,
  expectError,
  failureOf,
  type MakeLayer,
  malformedIds,
  malformedInstanceIds,
  type Spec,
  type SpecContext,
  type StoragePorts
} from "./harness.js"
export { dumpInstance, exercise, type InstanceDump } from "./migration.js"
