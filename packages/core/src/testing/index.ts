/**
 * Test support published for adapter authors and hosts: the storage conformance suite
 * (`runConformance`, one spec file per port method under `spec/`), contract fixtures,
 * helpers for asserting typed failures, and the scripted model for deterministic runs.
 * Requires `vitest` and `@effect/vitest` (optional peer dependencies of `@bga/core`).
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
export * as ScriptedModel from "./ScriptedModel.js"
