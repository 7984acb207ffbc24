import { Clock, Effect } from "effect"
import { describe, expect } from "vitest"
import { newId } from "../../../ids.js"
import { ApprovalStore } from "../../../storage/ApprovalStore.js"
import { isoOf } from "../../../storage/validate.js"
import { approvalRequest, instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** ApprovalStore.create: pending requests, stored once. */
export const create: Spec = ({ it }) =>
  describe("ApprovalStore.create", () => {
    it.effect("stores a pending request with its deadline", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        const request = approvalRequest(ci, newId(), now)
        const record = yield* approvals.create(ci, request)
        expect(record).toMatchObject({
          status: "pending",
          approvalId: request.approvalId,
          runId: request.runId,
          request
        })
        expect(record.expiresAt).toBe(isoOf(now + 60_000))
        expect(record.decision).toBeUndefined()
        expect(yield* approvals.get(ci, request.approvalId)).toEqual(record)
      })
    )

    it.effect("returns the stored record when the same request is created again", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const request = approvalRequest(ci, newId(), yield* Clock.currentTimeMillis)
        const first = yield* approvals.create(ci, request)
        expect(yield* approvals.create(ci, request)).toEqual(first)
      })
    )

    it.effect("refuses a different request under a taken approval id", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const request = approvalRequest(ci, newId(), yield* Clock.currentTimeMillis)
        yield* approvals.create(ci, request)
        const error = yield* failureOf(approvals.create(ci, { ...request, toolName: "crm.delete" }))
        expectError(error, "ConflictError", "already-exists")
      })
    )

    it.effect("refuses a request of another instance and malformed requests", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const ci = instanceId()
        const now = yield* Clock.currentTimeMillis
        expectError(
          yield* failureOf(approvals.create(ci, approvalRequest(instanceId(), newId(), now))),
          "InvalidInputError"
        )
        const bad = { ...approvalRequest(ci, newId(), now), argsHash: "abc" }
        const error = yield* failureOf(approvals.create(ci, bad))
        expectError(error, "InvalidInputError")
        expect(JSON.stringify(error)).toContain("$.argsHash")
      })
    )
  })
