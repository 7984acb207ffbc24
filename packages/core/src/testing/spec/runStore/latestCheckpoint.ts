import { Effect, Option } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../../harness.js"

/** RunStore.latestCheckpoint: where a recovering worker resumes. */
export const latestCheckpoint: Spec = ({ it }) =>
  describe("RunStore.latestCheckpoint", () => {
    it.effect("is none before the first checkpoint and then the newest one", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        expect(Option.isNone(yield* runs.latestCheckpoint(ci, run.runId))).toBe(true)
        yield* runs.appendCheckpoint(ci, run.runId, { data: { step: 1 } })
        const second = yield* runs.appendCheckpoint(ci, run.runId, { data: { step: 2 } })
        expect(yield* runs.latestCheckpoint(ci, run.runId)).toEqual(Option.some(second))
      })
    )

    it.effect("says NotFoundError for an unknown run", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        expectError(yield* failureOf(runs.latestCheckpoint(instanceId(), newId())), "NotFoundError")
      })
    )
  })
