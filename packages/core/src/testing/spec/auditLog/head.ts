import { Effect, Option } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, malformedInstanceIds, type Spec } from "../../harness.js"

/** AuditLog.head: the newest position of the chain. */
export const head: Spec = ({ it }) =>
  describe("AuditLog.head", () => {
    it.effect("is none for an empty log and the last record's seq, hash and ts after appends", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        expect(Option.isNone(yield* audit.head(ci))).toBe(true)
        yield* audit.append(ci, { kind: "auth_event", payload: {} })
        const last = yield* audit.append(ci, { kind: "auth_event", payload: {} })
        expect(yield* audit.head(ci)).toEqual(Option.some({ seq: 2, hash: last.hash, ts: last.ts }))
      })
    )

    it.effect("refuses malformed instance ids", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        for (const ci of malformedInstanceIds)
          expectError(yield* failureOf(audit.head(ci as string)), "InvalidInputError")
      })
    )
  })
