import type { Vitest } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { expect } from "vitest"
/** Every storage port an adapter provides. */
import type { StoragePorts } from "../storage/ports.js"
import { RunStore } from "../storage/RunStore.js"
import { runRequest } from "./fixtures.js"

export type { StoragePorts }

/**
 * Makes a layer over a new, empty store. Called once per group of specs and again by specs
 * that need a second, independent store (import, replication).
 */
export type MakeLayer = () => Layer.Layer<StoragePorts, unknown>

/** What a spec receives: the test API bound to one store, and the way to make another. */
export interface SpecContext {
  readonly it: Vitest.MethodsNonLive<StoragePorts>
  readonly makeLayer: MakeLayer
}

/** One spec file: registers the tests of one port method. */
export type Spec = (context: SpecContext) => void

/** The error an effect failed with (the test fails if it succeeded). */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (exit._tag === "Failure") {
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      if (error !== undefined && error._tag === "Fail") return Effect.succeed(error.error as E)
      return Effect.die(new Error(`expected a typed failure, got a defect: ${String(exit.cause)}`))
    }
    return Effect.die(new Error(`expected a failure, got ${JSON.stringify(exit.value)}`))
  })

/** Asserts an error's tag (short name, e.g. `ConflictError`) and, when given, its reason. */
export const expectError = (error: unknown, tag: string, reason?: string): void => {
  const e = error as { _tag?: string; reason?: string }
  expect(e._tag).toBe(`@bga/core/${tag}`)
  if (reason !== undefined) expect(e.reason).toBe(reason)
}

/** Creates a run in `ci` and returns it. */
export const createRun = (ci: string, overrides: Parameters<typeof runRequest>[1] = {}) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    return (yield* runs.create(ci, runRequest(ci, overrides))).run
  })

/** Values that must be refused wherever an id is expected. */
export const malformedIds: ReadonlyArray<unknown> = [
  "",
  "not-an-id",
  "'; DROP TABLE runs; --",
  "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5B",
  "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
  "x".repeat(10_000),
  42,
  null,
  { $ne: null }
]

/** Values that must be refused wherever a customer instance id is expected. */
export const malformedInstanceIds: ReadonlyArray<unknown> = [
  "",
  "Acme",
  "acme corp",
  "acme'--",
  "../acme",
  "a".repeat(65),
  "-acme",
  undefined,
  7
]
