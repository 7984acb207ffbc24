import { Clock, Effect } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, malformedIds, type Spec } from "../../harness.js"

/** ApprovalStore.get: reads one approval of the instance. */
export const get: Spec = ({ it }) =>
  describe("ApprovalStore.get", () => {
    it.effect("returns the stored approval", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const record = yield* approvals.create(
          ci,
          approvalRequest(ci, newId(), yield* Clock.currentTimeMillis)
        )
        expect(yield* approvals.get(ci, record.approvalId)).toEqual(record)
      })
    )

    it.effect("says NotFoundError for unknown ids and InvalidInputError for malformed ones", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        expectError(yield* failureOf(approvals.get(ci, newId())), "NotFoundError")
        for (const id of malformedIds)
          expectError(yield* failureOf(approvals.get(ci, id as string)), "InvalidInputError")
      })
    )
  })
