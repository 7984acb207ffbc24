import { Effect } from "effect"
import { describe, expect } from "vitest"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.transition: lifecycle edges under optimistic concurrency and lease fencing. */
export const transition: Spec = ({ it }) =>
  describe("RunStore.transition", () => {
    it.effect("moves along the lifecycle and bumps the version by one per step", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const running = yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 1 })
        const waiting = yield* runs.transition(ci, run.runId, { to: "WAITING_APPROVAL", expectedVersion: 2 })
        const back = yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 3 })
        const done = yield* runs.transition(ci, run.runId, { to: "COMPLETED", expectedVersion: 4 })
        expect([running, waiting, back, done].map((r) => [r.state, r.version])).toEqual([
          ["RUNNING", 2],
          ["WAITING_APPROVAL", 3],
          ["RUNNING", 4],
          ["COMPLETED", 5]
        ])
        expect(yield* runs.get(ci, run.runId)).toEqual(done)
      })
    )

    it.effect("refuses a stale expected version and changes nothing", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 1 })
        const error = yield* failureOf(
          runs.transition(ci, run.runId, { to: "CANCELLED", expectedVersion: 1 })
        )
        expectError(error, "ConflictError", "stale-version")
        expect((yield* runs.get(ci, run.runId)).state).toBe("RUNNING")
      })
    )

    it.effect("refuses edges the lifecycle does not have, and any way out of a terminal state", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        expectError(
          yield* failureOf(runs.transition(ci, run.runId, { to: "COMPLETED", expectedVersion: 1 })),
          "ConflictError",
          "illegal-transition"
        )
        yield* runs.transition(ci, run.runId, { to: "CANCELLED", expectedVersion: 1 })
        for (const to of ["RUNNING", "QUEUED", "COMPLETED"] as const) {
          expectError(
            yield* failureOf(runs.transition(ci, run.runId, { to, expectedVersion: 2 })),
            "ConflictError",
            "illegal-transition"
          )
        }
      })
    )

    it.effect("lets exactly one of several racing transitions from the same version win", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const results = yield* Effect.all(
          (["RUNNING", "CANCELLED", "FAILED", "RUNNING", "CANCELLED"] as const).map((to) =>
            Effect.result(runs.transition(ci, run.runId, { to, expectedVersion: 1 }))
          ),
          { concurrency: "unbounded" }
        )
        const wins = results.filter((r) => r._tag === "Success")
        expect(wins).toHaveLength(1)
        expect((yield* runs.get(ci, run.runId)).version).toBe(2)
      })
    )

    it.effect("refuses a fenced transition from a worker that lost its lease", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 30_000 })
        const ok = yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 1, fence: lease })
        expect(ok.state).toBe("RUNNING")
        const error = yield* failureOf(
          runs.transition(ci, run.runId, {
            to: "COMPLETED",
            expectedVersion: 2,
            fence: { workerId: "w-1", epoch: 7 }
          })
        )
        expectError(error, "ConflictError", "lease-lost")
      })
    )

    it.effect("drops the lease when the run ends", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 30_000 })
        const ended = yield* runs.transition(ci, run.runId, { to: "CANCELLED", expectedVersion: 1 })
        expect(ended.lease).toBeUndefined()
        expect(ended.leaseEpoch).toBe(1)
      })
    )

    it.effect("refuses unknown states and malformed versions", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        for (const input of [
          { to: "DONE", expectedVersion: 1 },
          { to: "RUNNING", expectedVersion: 0 },
          { to: "RUNNING", expectedVersion: 1.5 },
          { to: "RUNNING", expectedVersion: "1" },
          { to: "RUNNING", expectedVersion: 1, fence: { workerId: "", epoch: 1 } }
        ]) {
          expectError(yield* failureOf(runs.transition(ci, run.runId, input as never)), "InvalidInputError")
        }
        expect((yield* runs.get(ci, run.runId)).version).toBe(1)
      })
    )
  })
