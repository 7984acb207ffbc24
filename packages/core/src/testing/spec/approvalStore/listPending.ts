import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { approvalDecision, approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** ApprovalStore.listPending: what approvers still have to decide. */
export const listPending: Spec = ({ it }) =>
  describe("ApprovalStore.listPending", () => {
    it.effect("lists undecided, unexpired requests oldest first, in pages", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const runId = newId()
        const created = []
        for (let i = 0; i < 5; i++)
          created.push(yield* approvals.create(ci, approvalRequest(ci, runId, now, 60_000)))
        const short = yield* approvals.create(ci, approvalRequest(ci, runId, now, 1_000))
        const decided = created[0]!
        yield* approvals.resolve(ci, approvalDecision(decided.request, "approved", now))
        yield* TestClock.adjust("2 seconds")
        const first = yield* approvals.listPending(ci, { limit: 3 })
        const second = yield* approvals.listPending(ci, { limit: 3, cursor: first.nextCursor as string })
        expect(second.nextCursor).toBeUndefined()
        const ids = [...first.items, ...second.items].map((a) => a.approvalId)
        expect(ids).toEqual(created.slice(1).map((a) => a.approvalId))
        expect(ids).not.toContain(short.approvalId)
      })
    )

    it.effect("filters by run", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const runA = newId()
        const a = yield* approvals.create(ci, approvalRequest(ci, runA, now))
        yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        expect((yield* approvals.listPending(ci, { runId: runA })).items.map((x) => x.approvalId)).toEqual([
          a.approvalId
        ])
        expectError(yield* failureOf(approvals.listPending(ci, { runId: "run-1" })), "InvalidInputError")
      })
    )
  })
