import { Effect } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { RunStore } from "../../../storage/RunStore.js"
import { instanceId } from "../../fixtures.js"
import {
  createRun,
  expectError,
  failureOf,
  malformedIds,
  malformedInstanceIds,
  type Spec
} from "../../harness.js"

/** RunStore.get: reads one run of the instance. */
export const get: Spec = ({ it }) =>
  describe("RunStore.get", () => {
    it.effect("returns the stored run", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const run = yield* createRun(ci)
        expect(yield* runs.get(ci, run.runId)).toEqual(run)
      })
    )

    it.effect("says NotFoundError for an unknown run id", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        const id = newId()
        const error = yield* failureOf(runs.get(ci, id))
        expectError(error, "NotFoundError")
        expect(error).toMatchObject({ entity: "run", id, customerInstanceId: ci })
      })
    )

    it.effect("refuses malformed run ids and instance ids with InvalidInputError", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const ci = instanceId()
        for (const id of malformedIds)
          expectError(yield* failureOf(runs.get(ci, id as string)), "InvalidInputError")
        for (const bad of malformedInstanceIds)
          expectError(yield* failureOf(runs.get(bad as string, newId())), "InvalidInputError")
      })
    )
  })
