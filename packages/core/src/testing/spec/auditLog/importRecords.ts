import { Effect, Option, Result, Stream } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { parseJsonl } from "../../../audit/jsonl.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.importRecords: moving a chain to another store, unchanged. */
export const importRecords: Spec = ({ it, makeLayer }) =>
  describe("AuditLog.importRecords", () => {
    it.effect("copies an exported chain into another store, where it verifies and continues", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* audit.appendAll(
          ci,
          Array.from({ length: 5 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        const records = Result.getOrThrow(parseJsonl(yield* Stream.mkString(audit.exportJsonl(ci))))
        const head = yield* audit.head(ci)
        yield* Effect.gen(function* () {
          const target = yield* AuditLog
          expect(yield* target.importRecords(ci, records.slice(0, 2))).toBe(2)
          expect(yield* target.importRecords(ci, records.slice(2))).toBe(3)
          expect(yield* target.head(ci)).toEqual(head)
          expect((yield* target.verify(ci)).ok).toBe(true)
          const next = yield* target.append(ci, { kind: "auth_event", payload: { i: 5 } })
          expect(next).toMatchObject({ seq: 6, prevHash: Option.getOrThrow(head).hash })
        }).pipe(Effect.provide(makeLayer()))
      })
    )

    it.effect("refuses records that do not continue the chain exactly, writing none", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const records = yield* audit.appendAll(
          ci,
          Array.from({ length: 4 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        yield* Effect.gen(function* () {
          const target = yield* AuditLog
          const tampered = records.map((r, i) => (i === 2 ? { ...r, payload: { i: 99 } } : r))
          expectError(yield* failureOf(target.importRecords(ci, tampered)), "ConflictError", "chain-mismatch")
          expectError(
            yield* failureOf(target.importRecords(ci, [records[0]!, records[2]!])),
            "ConflictError",
            "chain-mismatch"
          )
          expectError(
            yield* failureOf(target.importRecords(instanceId(), records)),
            "ConflictError",
            "chain-mismatch"
          )
          expect(Option.isNone(yield* target.head(ci))).toBe(true)
          yield* target.importRecords(ci, records.slice(0, 2))
          expectError(
            yield* failureOf(target.importRecords(ci, records.slice(1))),
            "ConflictError",
            "chain-mismatch"
          )
          expectError(
            yield* failureOf(target.importRecords(ci, [{ ...records[2]!, hash: "zz" }])),
            "InvalidInputError"
          )
        }).pipe(Effect.provide(makeLayer()))
      })
    )
  })
