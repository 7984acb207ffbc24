import { Effect, Stream } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { verifyJsonl } from "../../../audit/jsonl.js"
import { newId } from "../../../ids.js"
import { instanceId, runEvent } from "../../fixtures.js"
import type { Spec } from "../../harness.js"

/** AuditLog.exportJsonl: the chain as canonical JSONL that verifies offline. */
export const exportJsonl: Spec = ({ it }) =>
  describe("AuditLog.exportJsonl", () => {
    it.effect("exports every record in order as lines that verifyJsonl accepts", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const runId = newId()
        for (let batch = 0; batch < 3; batch++) {
          yield* audit.appendAll(
            ci,
            Array.from({ length: 400 }, () => ({ kind: "run_event" as const, payload: runEvent(ci, runId) }))
          )
        }
        const text = yield* Stream.mkString(audit.exportJsonl(ci))
        const lines = text.trimEnd().split("\n")
        expect(lines).toHaveLength(1200)
        expect(JSON.parse(lines[0] as string)).toMatchObject({
          seq: 1,
          customerInstanceId: ci,
          kind: "run_event"
        })
        expect(verifyJsonl(ci, text)).toMatchObject({ ok: true, checked: 1200, lastSeq: 1200 })
      })
    )

    it.effect("reveals an edited, a dropped and a swapped line", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* audit.appendAll(
          ci,
          Array.from({ length: 6 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        const lines = (yield* Stream.mkString(audit.exportJsonl(ci))).trimEnd().split("\n")
        const edited = [...lines]
        edited[2] = (edited[2] as string).replace('"i":2', '"i":9')
        expect(verifyJsonl(ci, edited).problems.map((p) => [p.kind, p.seq])).toEqual([["hash-mismatch", 3]])
        const dropped = lines.filter((_, i) => i !== 3)
        expect(verifyJsonl(ci, dropped).problems.map((p) => [p.kind, p.seq])).toEqual([["missing", 5]])
        const swapped = [lines[0], lines[2], lines[1], ...lines.slice(3)] as Array<string>
        expect(verifyJsonl(ci, swapped).ok).toBe(false)
        expect(verifyJsonl(ci, [...lines, "{not json"]).problems.map((p) => [p.kind, p.line])).toEqual([
          ["unreadable", 7]
        ])
        expect(verifyJsonl(instanceId(), lines).problems[0]?.kind).toBe("foreign-instance")
      })
    )

    it.effect("exports a range", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* audit.appendAll(
          ci,
          Array.from({ length: 5 }, (_, i) => ({ kind: "auth_event", payload: { i } }))
        )
        const lines = (yield* Stream.mkString(audit.exportJsonl(ci, { fromSeq: 2, toSeq: 3 })))
          .trimEnd()
          .split("\n")
        expect(lines.map((l) => JSON.parse(l).seq)).toEqual([2, 3])
      })
    )
  })
