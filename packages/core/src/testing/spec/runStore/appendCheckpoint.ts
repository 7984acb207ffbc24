import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { hashOf } from "../../../hash.js"
import { newId } from "../../../ids.js"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.appendCheckpoint: numbered, hashed checkpoints, optionally fenced by the lease. */
export const appendCheckpoint: Spec = ({ it }) =>
  describe("RunStore.appendCheckpoint", () => {
    it.effect("numbers checkpoints 1, 2, 3 and records the state and the data hash", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const saved = []
        for (let step = 1; step <= 3; step++)
          saved.push(yield* runs.appendCheckpoint(ci, run.runId, { data: { step } }))
        expect(saved.map((c) => c.seq)).toEqual([1, 2, 3])
        expect(saved[2]).toMatchObject({
          runId: run.runId,
          state: "QUEUED",
          data: { step: 3 },
          dataHash: hashOf({ step: 3 })
        })
      })
    )

    it.effect("gives concurrent checkpoints distinct consecutive numbers", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const saved = yield* Effect.all(
          Array.from({ length: 6 }, (_, i) => runs.appendCheckpoint(ci, run.runId, { data: { i } })),
          { concurrency: "unbounded" }
        )
        expect(saved.map((c) => c.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6])
      })
    )

    it.effect("accepts a fenced write from the lease holder and refuses it once the lease is gone", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        const lease = yield* runs.acquireLease(ci, run.runId, { workerId: "w-1", ttlMs: 1000 })
        yield* runs.appendCheckpoint(ci, run.runId, { data: { ok: true }, fence: lease })
        yield* TestClock.adjust("2 seconds")
        const error = yield* failureOf(
          runs.appendCheckpoint(ci, run.runId, { data: { late: true }, fence: lease })
        )
        expectError(error, "ConflictError", "lease-lost")
        const latest = yield* runs.latestCheckpoint(ci, run.runId)
        expect(latest._tag === "Some" && latest.value.data).toEqual({ ok: true })
      })
    )

    it.effect("refuses checkpoints after the run ended", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        yield* runs.transition(ci, run.runId, { to: "FAILED", expectedVersion: 1 })
        expectError(
          yield* failureOf(runs.appendCheckpoint(ci, run.runId, { data: {} })),
          "ConflictError",
          "illegal-transition"
        )
      })
    )

    it.effect("refuses data that is not JSON or too large, and unknown runs", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        for (const data of [undefined, () => 1, { n: Number.NaN }, { big: "x".repeat(256 * 1024 + 1) }]) {
          expectError(
            yield* failureOf(runs.appendCheckpoint(ci, run.runId, { data } as never)),
            "InvalidInputError"
          )
        }
        expectError(yield* failureOf(runs.appendCheckpoint(ci, newId(), { data: {} })), "NotFoundError")
      })
    )
  })
