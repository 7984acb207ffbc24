import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { verifyJsonl } from "../../../audit/jsonl.js"
import { instanceId } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.prune: retention that leaves the chain verifiable. */
export const prune: Spec = ({ it }) =>
  describe("AuditLog.prune", () => {
    it.effect("removes records older than the cutoff and leaves an anchor; the rest still verifies", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
        const old = yield* audit.appendAll(
          ci,
          Array.from({ length: 4 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        yield* TestClock.adjust("40 days")
        yield* audit.appendAll(
          ci,
          Array.from({ length: 3 }, (_, i) => ({ kind: "auth_event", payload: { i: i + 4 } }))
        )
        const result = yield* audit.prune(ci, { before: "2026-01-20T00:00:00.000Z" })
        expect(result.pruned).toBe(4)
        expect(result.anchor).toMatchObject({
          seq: 8,
          kind: "anchor",
          payload: { prunedFromSeq: 1, prunedThroughSeq: 4, prunedThroughHash: old[3]?.hash }
        })
        const report = yield* audit.verify(ci)
        expect(report).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 8 })
        expect(verifyJsonl(ci, yield* Stream.mkString(audit.exportJsonl(ci))).ok).toBe(true)
        expect((yield* audit.prune(ci, { before: "2026-01-20T00:00:00.000Z" })).pruned).toBe(0)
      })
    )

    it.effect("can prune again later, and prune everything but the new anchor", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
        yield* audit.appendAll(
          ci,
          Array.from({ length: 3 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        yield* TestClock.adjust("10 days")
        yield* audit.prune(ci, { before: "2026-01-05T00:00:00.000Z" })
        yield* audit.append(ci, { kind: "auth_event", payload: { i: 3 } })
        yield* TestClock.adjust("10 days")
        const second = yield* audit.prune(ci, { before: "2026-01-21T00:00:00.000Z" })
        expect(second.pruned).toBe(2)
        expect(yield* audit.verify(ci)).toMatchObject({ ok: true, checked: 1, firstSeq: 6, lastSeq: 6 })
      })
    )

    it.effect("refuses a cutoff in the future or malformed", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
        expectError(
          yield* failureOf(audit.prune(ci, { before: "2027-01-01T00:00:00.000Z" })),
          "InvalidInputError"
        )
        expectError(yield* failureOf(audit.prune(ci, { before: "last week" })), "InvalidInputError")
      })
    )
  })
