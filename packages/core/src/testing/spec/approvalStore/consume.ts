import { Clock, Effect } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { approvalDecision, approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** ApprovalStore.consume: an approval allows one call, with exactly its arguments, once. */
export const consume: Spec = ({ it }) =>
  describe("ApprovalStore.consume", () => {
    const approved = Effect.gen(function* () {
      const approvals = yield* ApprovalStore
      const ci = instanceId()
      const now = yield* Clock.currentTimeMillis
      const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
      yield* approvals.resolve(ci, approvalDecision(request, "approved", now))
      const expected = { runId: request.runId, toolName: request.toolName, argsHash: request.argsHash }
      return { approvals, ci, request, expected }
    })

    it.effect("consumes an approved request once", () =>
      Effect.gen(function* () {
        const { approvals, ci, request, expected } = yield* approved
        const consumed = yield* approvals.consume(ci, request.approvalId, expected)
        expect(consumed.status).toBe("consumed")
        expect(typeof consumed.consumedAt).toBe("string")
        expectError(
          yield* failureOf(approvals.consume(ci, request.approvalId, expected)),
          "ConflictError",
          "already-resolved"
        )
        expect((yield* approvals.get(ci, request.approvalId)).status).toBe("consumed")
      })
    )

    it.effect("lets exactly one of racing consumers win", () =>
      Effect.gen(function* () {
        const { approvals, ci, request, expected } = yield* approved
        const results = yield* Effect.all(
          Array.from({ length: 6 }, () => Effect.result(approvals.consume(ci, request.approvalId, expected))),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r._tag === "Success")).toHaveLength(1)
      })
    )

    it.effect("refuses other arguments, another tool or another run", () =>
      Effect.gen(function* () {
        const { approvals, ci, request, expected } = yield* approved
        for (const wrong of [
          { ...expected, argsHash: "0".repeat(64) },
          { ...expected, toolName: "other_tool" },
          { ...expected, runId: newId() }
        ]) {
          expectError(
            yield* failureOf(approvals.consume(ci, request.approvalId, wrong)),
            "ConflictError",
            "mismatch"
          )
        }
        expect((yield* approvals.get(ci, request.approvalId)).status).toBe("approved")
      })
    )

    it.effect("refuses a request that is pending or denied", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(ci, approvalRequest(ci, newId(), now))
        const expected = { runId: request.runId, toolName: request.toolName, argsHash: request.argsHash }
        expectError(
          yield* failureOf(approvals.consume(ci, request.approvalId, expected)),
          "ConflictError",
          "already-resolved"
        )
        yield* approvals.resolve(ci, approvalDecision(request, "denied", now))
        expectError(
          yield* failureOf(approvals.consume(ci, request.approvalId, expected)),
          "ConflictError",
          "already-resolved"
        )
      })
    )

    it.effect("cannot consume another instance's approval", () =>
      Effect.gen(function* () {
        const { approvals, request, expected } = yield* approved
        expectError(
          yield* failureOf(approvals.consume(instanceId(), request.approvalId, expected)),
          "NotFoundError"
        )
      })
    )
  })
