import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import type { AuditRecord } from "../../../audit/AuditRecord.js"
import { newId } from "../../../ids.js"
import { instanceId, policyDecision, runEvent, toolInvocation } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.list: the query behind `audit.events.list`. */
export const list: Spec = ({ it }) =>
  describe("AuditLog.list", () => {
    const seed = (ci: string) =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const runA = newId()
        const runB = newId()
        yield* TestClock.setTime(Date.parse("2026-05-01T00:00:00.000Z"))
        const decision = policyDecision(ci, runA)
        const d = yield* audit.append(ci, { kind: "policy_decision", payload: decision })
        yield* TestClock.adjust("1 minute")
        const t = yield* audit.append(ci, {
          kind: "tool_invocation",
          payload: toolInvocation(ci, runA, decision.decisionId)
        })
        yield* TestClock.adjust("1 minute")
        const e1 = yield* audit.append(ci, {
          kind: "run_event",
          payload: runEvent(ci, runB, { type: "run.created" })
        })
        yield* TestClock.adjust("1 minute")
        const e2 = yield* audit.append(ci, {
          kind: "run_event",
          payload: runEvent(ci, runA, { type: "run.output" })
        })
        const g = yield* audit.append(ci, {
          kind: "egress_event",
          actorId: "agent-7",
          eventType: "egress.denied",
          payload: {}
        })
        return { runA, runB, decision, d, t, e1, e2, g }
      })
    const seqs = (items: ReadonlyArray<AuditRecord>) => items.map((r) => r.seq)

    it.effect("filters by run, kind, event type, decision, actor and time range", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const s = yield* seed(ci)
        expect(seqs((yield* audit.list(ci, { runId: s.runA })).items)).toEqual([1, 2, 4])
        expect(seqs((yield* audit.list(ci, { kinds: ["run_event"] })).items)).toEqual([3, 4])
        expect(seqs((yield* audit.list(ci, { kinds: ["run_event", "egress_event"] })).items)).toEqual([
          3, 4, 5
        ])
        expect(seqs((yield* audit.list(ci, { eventType: "run.output" })).items)).toEqual([4])
        expect(seqs((yield* audit.list(ci, { decisionId: s.decision.decisionId })).items)).toEqual([1, 2])
        expect(seqs((yield* audit.list(ci, { actorId: "agent-7" })).items)).toEqual([5])
        expect(seqs((yield* audit.list(ci, { from: s.t.ts, to: s.e2.ts })).items)).toEqual([2, 3])
        expect(seqs((yield* audit.list(ci, { from: s.e1.ts })).items)).toEqual([3, 4, 5])
        expect(seqs((yield* audit.list(ci, { runId: s.runA, kinds: ["run_event"] })).items)).toEqual([4])
        expect((yield* audit.list(ci, { runId: newId() })).items).toEqual([])
      })
    )

    it.effect("pages in chain order and newest first, with cursors that survive new appends", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        for (let i = 0; i < 7; i++) yield* audit.append(ci, { kind: "auth_event", payload: { i } })
        const p1 = yield* audit.list(ci, { limit: 3 })
        yield* audit.append(ci, { kind: "auth_event", payload: { i: 7 } })
        const p2 = yield* audit.list(ci, { limit: 3, cursor: p1.nextCursor as string })
        const p3 = yield* audit.list(ci, { limit: 3, cursor: p2.nextCursor as string })
        expect([...seqs(p1.items), ...seqs(p2.items), ...seqs(p3.items)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
        expect(p3.nextCursor).toBeUndefined()
        const d1 = yield* audit.list(ci, { order: "desc", limit: 5 })
        const d2 = yield* audit.list(ci, { order: "desc", limit: 5, cursor: d1.nextCursor as string })
        expect([...seqs(d1.items), ...seqs(d2.items)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
      })
    )

    it.effect("refuses malformed filters and cursors of other queries", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        for (let i = 0; i < 3; i++) yield* audit.append(ci, { kind: "auth_event", payload: { i } })
        const page = yield* audit.list(ci, { limit: 1 })
        const bad: ReadonlyArray<unknown> = [
          { runId: "run-1" },
          { runId: "x' OR '1'='1" },
          { kinds: [] },
          { kinds: ["Run Event"] },
          { kinds: "run_event" },
          { eventType: "DROP TABLE" },
          { decisionId: 5 },
          { actorId: "" },
          { from: "2026-13-01T00:00:00Z" },
          { to: "now" },
          { order: "random" },
          { limit: 5000 },
          { cursor: "%%%" },
          { cursor: page.nextCursor, kinds: ["auth_event"] },
          { unknown: true }
        ]
        for (const query of bad)
          expectError(yield* failureOf(audit.list(ci, query as never)), "InvalidInputError")
      })
    )
  })
