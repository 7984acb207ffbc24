import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { newId } from "../../../ids.js"
import { instanceId, runEvent } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.appendAll: a batch, all or nothing. */
export const appendAll: Spec = ({ it }) =>
  describe("AuditLog.appendAll", () => {
    it.effect("appends a batch as consecutive records", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* audit.append(ci, { kind: "auth_event", payload: { login: true } })
        const runId = newId()
        const batch = yield* audit.appendAll(
          ci,
          Array.from({ length: 5 }, () => ({ kind: "run_event" as const, payload: runEvent(ci, runId) }))
        )
        expect(batch.map((r) => r.seq)).toEqual([2, 3, 4, 5, 6])
        expect((yield* audit.verify(ci)).ok).toBe(true)
      })
    )

    it.effect("writes nothing when one entry of the batch is bad, and names it", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const error = yield* failureOf(
          audit.appendAll(ci, [
            { kind: "auth_event", payload: { ok: 1 } },
            { kind: "auth_event", payload: "not an object" as never }
          ])
        )
        expectError(error, "InvalidInputError")
        expect(JSON.stringify(error)).toContain("$.entries[1].payload")
        expect((yield* audit.list(ci)).items).toEqual([])
      })
    )

    it.effect("refuses empty and oversized batches and duplicate record ids", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        expectError(yield* failureOf(audit.appendAll(ci, [])), "InvalidInputError")
        const many = Array.from({ length: 1001 }, () => ({ kind: "auth_event", payload: {} }))
        expectError(yield* failureOf(audit.appendAll(ci, many)), "InvalidInputError")
        const recordId = newId()
        expectError(
          yield* failureOf(
            audit.appendAll(ci, [
              { kind: "auth_event", recordId, payload: {} },
              { kind: "auth_event", recordId, payload: {} }
            ])
          ),
          "InvalidInputError"
        )
      })
    )
  })
