import { Effect } from "effect"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.releaseLease: giving a run back before the lease runs out. */
export const releaseLease: Spec = ({ it }) =>
  describe("RunStore.releaseLease", () => {
    it.effect("frees the run for another worker at once", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 60_000 })
        yield* runs.releaseLease(ci, run.runId, lease)
        expect((yield* runs.get(ci, run.runId)).lease).toBeUndefined()
        expect((yield* runs.acquireLease(ci, run.runId, { workerId: "w-2", ttlMs: 1000 })).epoch).toBe(2)
      })
    )

    it.effect("refuses a release by a worker that no longer holds the lease", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const old = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 60_000 })
        const current = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 60_000 })
        expectError(yield* failureOf(runs.releaseLease(ci, run.runId, old)), "ConflictError", "lease-lost")
        expect((yield* runs.get(ci, run.runId)).lease).toEqual(current)
      })
    )
  })
