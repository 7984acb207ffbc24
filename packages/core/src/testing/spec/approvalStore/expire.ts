import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { approvalDecision, approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** ApprovalStore.expire: deadlines pass as system denials. */
export const expire: Spec = ({ it }) =>
  describe("ApprovalStore.expire", () => {
    it.effect("expires overdue requests with a system decision and leaves the rest pending", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const due = yield* approvals.create(ci, approvalRequest(ci, newId(), now, 1000))
        const later = yield* approvals.create(ci, approvalRequest(ci, newId(), now, 60_000))
        expect(yield* approvals.expire(ci)).toEqual([])
        yield* TestClock.adjust("1 second")
        const expired = yield* approvals.expire(ci)
        expect(expired.map((a) => a.approvalId)).toEqual([due.approvalId])
        expect(expired[0]).toMatchObject({
          status: "expired",
          decision: { outcome: "expired", decidedBy: { kind: "system" }, argsHash: due.request.argsHash }
        })
        expect((yield* approvals.get(ci, later.approvalId)).status).toBe("pending")
        expect(yield* approvals.expire(ci)).toEqual([])
      })
    )

    it.effect("makes a late resolution fail as already resolved", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now, 1000))
        yield* TestClock.adjust("5 seconds")
        yield* approvals.expire(ci)
        expectError(
          yield* failureOf(approvals.resolve(ci, approvalDecision(request, "approved", now))),
          "ConflictError",
          "already-resolved"
        )
      })
    )
  })
