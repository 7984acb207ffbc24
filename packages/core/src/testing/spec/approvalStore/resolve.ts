import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { hashOf } from "../../../hash.js"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { approvalDecision, approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** ApprovalStore.resolve: one decision per request, bound to its run and arguments. */
export const resolve: Spec = ({ it }) =>
  describe("ApprovalStore.resolve", () => {
    it.effect("records an approval with its decision", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        const decision = approvalDecision(request, "approved", now, { reason: "invoice is legitimate" })
        const resolved = yield* approvals.resolve(ci, decision)
        expect(resolved).toMatchObject({ status: "approved", decision })
        expect(yield* approvals.get(ci, request.approvalId)).toEqual(resolved)
      })
    )

    it.effect("refuses a second resolution, whatever its outcome", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        yield* approvals.resolve(ci, approvalDecision(request, "denied", now))
        for (const outcome of ["approved", "denied"] as const) {
          expectError(
            yield* failureOf(approvals.resolve(ci, approvalDecision(request, outcome, now))),
            "ConflictError",
            "already-resolved"
          )
        }
        expect((yield* approvals.get(ci, request.approvalId)).status).toBe("denied")
      })
    )

    it.effect("lets exactly one of racing resolutions win", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        const results = yield* Effect.all(
          (["approved", "denied", "approved", "denied", "approved", "denied"] as const).map((o) =>
            Effect.result(approvals.resolve(ci, approvalDecision(request, o, now)))
          ),
          { concurrency: "unbounded" }
        )
        const wins = results.filter((r) => r._tag === "Success")
        expect(wins).toHaveLength(1)
        const stored = yield* approvals.get(ci, request.approvalId)
        expect(wins[0]?._tag === "Success" && wins[0].success.status).toBe(stored.status)
      })
    )

    it.effect("refuses a decision about other arguments or another run", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        for (const overrides of [{ argsHash: hashOf({ to: "attacker@example.com" }) }, { runId: newId() }]) {
          expectError(
            yield* failureOf(approvals.resolve(ci, approvalDecision(request, "approved", now, overrides))),
            "ConflictError",
            "mismatch"
          )
        }
        expect((yield* approvals.get(ci, request.approvalId)).status).toBe("pending")
      })
    )

    it.effect("refuses a decision after the deadline", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now, 1000))
        yield* TestClock.adjust("1 second")
        expectError(
          yield* failureOf(approvals.resolve(ci, approvalDecision(request, "approved", now + 1000))),
          "ConflictError",
          "expired"
        )
      })
    )

    it.effect("refuses the expired outcome, unknown approvals and other instances' decisions", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        const expired = { ...approvalDecision(request, "approved", now), outcome: "expired" as const }
        expectError(yield* failureOf(approvals.resolve(ci, expired)), "InvalidInputError")
        const unknown = approvalDecision(approvalRequest(ci, newId(), now), "approved", now)
        expectError(yield* failureOf(approvals.resolve(ci, unknown)), "NotFoundError")
        const other = instanceId()
        expectError(
          yield* failureOf(approvals.resolve(other, approvalDecision(request, "approved", now))),
          "InvalidInputError"
        )
      })
    )
  })
