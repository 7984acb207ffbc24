import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.renewLease: the heartbeat of the lease holder. */
export const renewLease: Spec = ({ it }) =>
  describe("RunStore.renewLease", () => {
    it.effect("extends a valid lease from now, keeping its epoch", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 10_000 })
        yield* TestClock.adjust("8 seconds")
        const renewed = yield* runs.renewLease(ci, run.runId, lease, 10_000)
        expect(renewed.epoch).toBe(lease.epoch)
        expect(Date.parse(renewed.expiresAt) - Date.parse(lease.expiresAt)).toBe(8000)
        yield* TestClock.adjust("8 seconds")
        expectError(
          yield* failureOf(runs.acquireLease(ci, run.runId, { workerId: "w-2", ttlMs: 1000 })),
          "ConflictError",
          "lease-held"
        )
      })
    )

    it.effect("refuses to renew an expired lease or one taken over", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 1000 })
        yield* TestClock.adjust("1 second")
        expectError(
          yield* failureOf(runs.renewLease(ci, run.runId, lease, 1000)),
          "ConflictError",
          "lease-lost"
        )
        yield* runs.acquireLease(ci, run.runId, { workerId: "w-2", ttlMs: 1000 })
        expectError(
          yield* failureOf(runs.renewLease(ci, run.runId, lease, 1000)),
          "ConflictError",
          "lease-lost"
        )
      })
    )
  })
