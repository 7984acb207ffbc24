import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.listExpiredLeases: finding the runs of crashed workers. */
export const listExpiredLeases: Spec = ({ it }) =>
  describe("RunStore.listExpiredLeases", () => {
    it.effect("lists unfinished runs whose lease expired, and nothing else", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const crashed = yield* createRun(ci)
        const alive = yield* createRun(ci)
        const released = yield* createRun(ci)
        const ended = yield* createRun(ci)
        yield* createRun(ci)
        yield* runs.acquireLease(ci, crashed.runId, { workerId: "w-1", ttlMs: 5_000 })
        yield* runs.transition(ci, crashed.runId, { to: "RUNNING", expectedVersion: 1 })
        yield* runs.acquireLease(ci, alive.runId, { workerId: "w-2", ttlMs: 60_000 })
        const r = yield* runs.acquireLease(ci, released.runId, { workerId: "w-3", ttlMs: 5_000 })
        yield* runs.releaseLease(ci, released.runId, r)
        yield* runs.acquireLease(ci, ended.runId, { workerId: "w-4", ttlMs: 5_000 })
        yield* runs.transition(ci, ended.runId, { to: "CANCELLED", expectedVersion: 1 })
        expect(yield* runs.listExpiredLeases(ci)).toEqual([])
        yield* TestClock.adjust("6 seconds")
        const expired = yield* runs.listExpiredLeases(ci)
        expect(expired.map((x) => x.runId)).toEqual([crashed.runId])
        expect(expired[0]?.state).toBe("RUNNING")
      })
    )

    it.effect("honours the limit and refuses a bad one", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        for (let i = 0; i < 3; i++) {
          const run = yield* createRun(ci)
          yield* runs.acquireLease(ci, run.runId, { workerId: "w", ttlMs: 1 })
        }
        yield* TestClock.adjust("1 second")
        expect(yield* runs.listExpiredLeases(ci, { limit: 2 })).toHaveLength(2)
        expectError(yield* failureOf(runs.listExpiredLeases(ci, { limit: -1 })), "InvalidInputError")
      })
    )
  })
