import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { isoOf } from "../../../storage/validate.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.acquireLease: one worker per run, with a new fencing epoch per acquisition. */
export const acquireLease: Spec = ({ it }) =>
  describe("RunStore.acquireLease", () => {
    it.effect("gives a free run to the caller with epoch 1 until now + ttl", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-03-01T00:00:00.000Z"))
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 30_000 })
        expect(lease).toEqual({
          workerId: "w-1",
          epoch: 1,
          expiresAt: isoOf(Date.parse("2026-03-01T00:00:30.000Z"))
        })
        expect((yield* runs.get(ci, run.runId)).lease).toEqual(lease)
      })
    )

    it.effect("refuses another worker while the lease is valid, and hands it over once it expired", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 10_000 })
        expectError(
          yield* failureOf(runs.acquireLease(ci, run.runId, { workerId: "w-2", ttlMs: 10_000 })),
          "ConflictError",
          "lease-held"
        )
        yield* TestClock.adjust("10 seconds")
        const taken = yield* runs.acquireLease(ci, run.runId, { workerId: "w-2", ttlMs: 10_000 })
        expect(taken).toMatchObject({ workerId: "w-2", epoch: 2 })
      })
    )

    it.effect("lets exactly one of several racing workers win a free run", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const results = yield* Effect.all(
          Array.from({ length: 6 }, (_, i) =>
            Effect.result(runs.acquireLease(ci, run.runId, { workerId: `w-${i}`, ttlMs: 60_000 }))
          ),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r._tag === "Success")).toHaveLength(1)
      })
    )

    it.effect("gives the holder a new epoch when it acquires again", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 10_000 })
        expect((yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 10_000 })).epoch).toBe(2)
      })
    )

    it.effect("refuses ended runs and bad requests", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        for (const request of [
          { workerId: "w-1", ttlMs: 0 },
          { workerId: "w-1", ttlMs: 86_400_001 },
          { workerId: "w 1", ttlMs: 1000 },
          { workerId: "w-1" }
        ]) {
          expectError(
            yield* failureOf(runs.acquireLease(ci, run.runId, request as never)),
            "InvalidInputError"
          )
        }
        yield* runs.transition(ci, run.runId, { to: "CANCELLED", expectedVersion: 1 })
        expectError(
          yield* failureOf(runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 1000 })),
          "ConflictError",
          "illegal-transition"
        )
      })
    )
  })
