import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.read: raw chain order, for replication and export. */
export const read: Spec = ({ it }) =>
  describe("AuditLog.read", () => {
    it.effect("returns up to limit records from a sequence number on", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const written = yield* audit.appendAll(
          ci,
          Array.from({ length: 6 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        expect(yield* audit.read(ci, { fromSeq: 3, limit: 2 })).toEqual(written.slice(2, 4))
        expect(yield* audit.read(ci, { fromSeq: 7, limit: 10 })).toEqual([])
        expectError(yield* failureOf(audit.read(ci, { fromSeq: -1, limit: 10 })), "InvalidInputError")
        expectError(yield* failureOf(audit.read(ci, { fromSeq: 1, limit: 0 })), "InvalidInputError")
      })
    )
  })
