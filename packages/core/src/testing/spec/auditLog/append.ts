import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { AuditLog } from "../../../audit/AuditLog.js"
import { genesisHash, hashRecord } from "../../../audit/AuditRecord.js"
import { newId } from "../../../ids.js"
import { instanceId, policyDecision, runEvent, toolInvocation } from "../../fixtures.js"
import { expectError, failureOf, type Spec } from "../../harness.js"

/** AuditLog.append: one record onto the instance's chain. */
export const append: Spec = ({ it }) =>
  describe("AuditLog.append", () => {
    it.effect("chains records: seq 1, 2, 3, each linked to the hash before it", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const runId = newId()
        const records = []
        for (let i = 0; i < 3; i++)
          records.push(yield* audit.append(ci, { kind: "run_event", payload: runEvent(ci, runId) }))
        expect(records.map((r) => r.seq)).toEqual([1, 2, 3])
        expect(records[0]?.prevHash).toBe(genesisHash)
        expect(records[1]?.prevHash).toBe(records[0]?.hash)
        expect(records[2]?.prevHash).toBe(records[1]?.hash)
        for (const r of records) expect(r.hash).toBe(hashRecord(r))
      })
    )

    it.effect("takes the index fields of known kinds from their payload", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const runId = newId()
        const decision = policyDecision(ci, runId)
        const d = yield* audit.append(ci, { kind: "policy_decision", payload: decision })
        expect(d).toMatchObject({
          runId,
          decisionId: decision.decisionId,
          actorId: "u-1",
          eventType: "policy.allow"
        })
        const t = yield* audit.append(ci, {
          kind: "tool_invocation",
          payload: toolInvocation(ci, runId, decision.decisionId)
        })
        expect(t).toMatchObject({ runId, decisionId: decision.decisionId, eventType: "tool.succeeded" })
        const e = yield* audit.append(ci, {
          kind: "run_event",
          payload: runEvent(ci, runId, { type: "run.created" })
        })
        expect(e).toMatchObject({ runId, eventType: "run.created" })
      })
    )

    it.effect("accepts open kinds with a JSON payload and their own index fields", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const runId = newId()
        const r = yield* audit.append(ci, {
          kind: "egress_event",
          eventType: "egress.denied",
          runId,
          actorId: "agent-1",
          payload: { host: "evil.example", port: 443, reason: "not allowlisted" }
        })
        expect(r).toMatchObject({
          kind: "egress_event",
          eventType: "egress.denied",
          runId,
          actorId: "agent-1"
        })
        const custom = yield* audit.append(ci, { kind: "billing_export", payload: { rows: 3 } })
        expect(custom.kind).toBe("billing_export")
      })
    )

    it.effect("never lets time run backwards along the chain", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        yield* TestClock.setTime(Date.parse("2026-04-01T10:00:00.000Z"))
        const a = yield* audit.append(ci, { kind: "auth_event", payload: { n: 1 } })
        yield* TestClock.adjust("1 minute")
        const b = yield* audit.append(ci, { kind: "auth_event", payload: { n: 2 } })
        expect(a.ts).toBe("2026-04-01T10:00:00.000Z")
        expect(b.ts).toBe("2026-04-01T10:01:00.000Z")
      })
    )

    it.effect("is idempotent under an explicit recordId, and refuses the id for another entry", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const recordId = newId()
        const entry = { kind: "plugin_event", recordId, payload: { plugin: "crm", event: "loaded" } } as const
        const first = yield* audit.append(ci, entry)
        expect(yield* audit.append(ci, entry)).toEqual(first)
        expect((yield* audit.list(ci)).items).toHaveLength(1)
        const error = yield* failureOf(
          audit.append(ci, { ...entry, payload: { plugin: "crm", event: "unloaded" } })
        )
        expectError(error, "ConflictError", "already-exists")
      })
    )

    it.effect("keeps one unforked chain under concurrent appends", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const written = yield* Effect.all(
          Array.from({ length: 40 }, (_, i) => audit.append(ci, { kind: "auth_event", payload: { i } })),
          { concurrency: "unbounded" }
        )
        expect(written.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 40 }, (_, i) => i + 1)
        )
        const report = yield* audit.verify(ci)
        expect(report).toMatchObject({ ok: true, checked: 40, lastSeq: 40 })
      })
    )

    it.effect("refuses entries that are malformed, of another instance or contradict their payload", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const ci = instanceId()
        const runId = newId()
        const bad: Array<[unknown, string]> = [
          [{ kind: "anchor", payload: {} }, "$.entry.kind"],
          [{ kind: "Run Event", payload: {} }, "$.entry.kind"],
          [{ kind: "auth_event", payload: [1] }, "$.entry.payload"],
          [
            { kind: "auth_event", payload: { customerInstanceId: "someone-else" } },
            "$.entry.payload.customerInstanceId"
          ],
          [
            { kind: "run_event", payload: runEvent(instanceId(), runId) },
            "$.entry.payload.customerInstanceId"
          ],
          [
            { kind: "run_event", payload: { ...runEvent(ci, runId), type: "run.exploded" } },
            "$.entry.payload.type"
          ],
          [{ kind: "run_event", runId: newId(), payload: runEvent(ci, runId) }, "$.entry.runId"],
          [{ kind: "auth_event", runId: "x", payload: {} }, "$.entry.runId"],
          [{ kind: "auth_event", payload: {}, extra: 1 }, "$.entry.extra"],
          [{ kind: "auth_event", payload: { blob: "x".repeat(600 * 1024) } }, "$.entry.payload"]
        ]
        for (const [entry, path] of bad) {
          const error = yield* failureOf(audit.append(ci, entry as never))
          expectError(error, "InvalidInputError")
          expect(JSON.stringify(error)).toContain(path)
        }
        expect((yield* audit.list(ci)).items).toEqual([])
      })
    )
  })
