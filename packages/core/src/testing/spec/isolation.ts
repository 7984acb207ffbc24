import { Clock, Effect, Option, Stream } from "effect"
import { describe, expect } from "vitest"
import { AuditLog } from "../../audit/AuditLog.js"
import { newId } from "../../ids.js"
import { ApprovalStore } from "../../storage/ApprovalStore.js"
import { encodeCursor } from "../../storage/cursor.js"
import { KeyValue } from "../../storage/KeyValue.js"
import { RunStore } from "../../storage/RunStore.js"
import { StorageReplica } from "../../storage/StorageReplica.js"
import { approvalDecision, approvalRequest, instanceId, runEvent, runRequest } from "../fixtures.js"
import { createRun, expectError, failureOf, type Spec } from "../harness.js"

/**
 * Cross-instance isolation: no method returns or changes another instance's rows, through
 * ids, idempotency keys, cursors (genuine, replayed or forged) or payloads.
 */
export const isolation: Spec = ({ it }) =>
  describe("isolation between customer instances", () => {
    it.effect("runs of one instance are invisible and untouchable from another", () =>
      Effect.gen(function* () {
        const runs = yield* RunStore
        const a = instanceId("a")
        const b = instanceId("b")
        const run = yield* createRun(a, { idempotencyKey: "same-key" })
        yield* runs.appendCheckpoint(a, run.runId, { data: { secret: "a" } })
        expectError(yield* failureOf(runs.get(b, run.runId)), "NotFoundError")
        expectError(
          yield* failureOf(runs.transition(b, run.runId, { to: "RUNNING", expectedVersion: 1 })),
          "NotFoundError"
        )
        expectError(yield* failureOf(runs.appendCheckpoint(b, run.runId, { data: {} })), "NotFoundError")
        expectError(yield* failureOf(runs.latestCheckpoint(b, run.runId)), "NotFoundError")
        expectError(
          yield* failureOf(runs.acquireLease(b, run.runId, { workerId: "w", ttlMs: 1000 })),
          "NotFoundError"
        )
        expectError(
          yield* failureOf(runs.renewLease(b, run.runId, { workerId: "w", epoch: 1 }, 1000)),
          "NotFoundError"
        )
        expectError(
          yield* failureOf(runs.releaseLease(b, run.runId, { workerId: "w", epoch: 1 })),
          "NotFoundError"
        )
        expect((yield* runs.list(b)).items).toEqual([])
        expect(yield* runs.listExpiredLeases(b)).toEqual([])
        const same = yield* runs.create(b, runRequest(b, { runId: run.runId, idempotencyKey: "same-key" }))
        expect(same.created).toBe(true)
        expect(yield* runs.get(a, run.runId)).toEqual(run)
      })
    )

    it.effect(
      "a cursor from one instance is refused by another, and a forged one reads only the caller's rows",
      () =>
        Effect.gen(function* () {
          const runs = yield* RunStore
          const audit = yield* AuditLog
          const a = instanceId("a")
          const b = instanceId("b")
          for (let i = 0; i < 3; i++) {
            yield* createRun(a)
            yield* audit.append(a, { kind: "auth_event", payload: { i } })
          }
          const runPage = yield* runs.list(a, { limit: 1 })
          const auditPage = yield* audit.list(a, { limit: 1 })
          expectError(
            yield* failureOf(runs.list(b, { limit: 1, cursor: runPage.nextCursor as string })),
            "InvalidInputError"
          )
          expectError(
            yield* failureOf(audit.list(b, { limit: 1, cursor: auditPage.nextCursor as string })),
            "InvalidInputError"
          )
          const forgedAudit = encodeCursor(
            {
              scope: "audit",
              customerInstanceId: b,
              filters: {
                runId: null,
                kinds: null,
                eventType: null,
                decisionId: null,
                actorId: null,
                from: null,
                to: null,
                order: "asc"
              }
            },
            0
          )
          expect((yield* audit.list(b, { cursor: forgedAudit })).items).toEqual([])
          const forgedRuns = encodeCursor(
            {
              scope: "runs",
              customerInstanceId: b,
              filters: { states: null, createdFrom: null, createdTo: null, order: "desc" }
            },
            "ffffffff-ffff-7fff-bfff-ffffffffffff"
          )
          expect((yield* runs.list(b, { cursor: forgedRuns })).items).toEqual([])
        })
    )

    it.effect("approvals of one instance cannot be read, listed or resolved from another", () =>
      Effect.gen(function* () {
        const approvals = yield* ApprovalStore
        const a = instanceId("a")
        const b = instanceId("b")
        const now = yield* Clock.currentTimeMillis
        const { request } = yield* approvals.create(a, approvalRequest(a, newId(), now, 1))
        expectError(yield* failureOf(approvals.get(b, request.approvalId)), "NotFoundError")
        expect((yield* approvals.listPending(b)).items).toEqual([])
        const asB = approvalDecision({ ...request, customerInstanceId: b }, "approved", now)
        expectError(yield* failureOf(approvals.resolve(b, asB)), "NotFoundError")
        expect(yield* approvals.expire(b)).toEqual([])
        expect((yield* approvals.get(a, request.approvalId)).status).toBe("pending")
      })
    )

    it.effect("plugin values of one instance are invisible to the same plugin in another", () =>
      Effect.gen(function* () {
        const kv = yield* KeyValue
        const replica = yield* StorageReplica
        const a = instanceId("a")
        const b = instanceId("b")
        yield* kv.set(a, "crm", "token", "secret-of-a")
        expect(Option.isNone(yield* kv.get(b, "crm", "token"))).toBe(true)
        expect((yield* kv.list(b, "crm")).items).toEqual([])
        expect(yield* kv.delete(b, "crm", "token")).toBe(false)
        expect(yield* replica.kvEntries(b, { limit: 10 })).toEqual([])
        expect(Option.map(yield* kv.get(a, "crm", "token"), (e) => e.value)).toEqual(
          Option.some("secret-of-a")
        )
      })
    )

    it.effect("each instance has its own audit chain, and no entry lands in another's", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const a = instanceId("a")
        const b = instanceId("b")
        const runId = newId()
        const recordId = newId()
        yield* audit.append(a, { kind: "run_event", recordId, payload: runEvent(a, runId) })
        const first = yield* audit.append(b, { kind: "auth_event", payload: {} })
        expect(first.seq).toBe(1)
        expectError(
          yield* failureOf(audit.append(b, { kind: "run_event", payload: runEvent(a, runId) })),
          "InvalidInputError"
        )
        expect((yield* audit.list(b, { runId })).items).toEqual([])
        expect((yield* audit.verify(b)).checked).toBe(1)
        const exported = yield* Stream.runCollect(audit.exportJsonl(b))
        expect(exported).toHaveLength(1)
        const bRecord = yield* audit.append(b, { kind: "auth_event", recordId, payload: {} })
        expect(bRecord.seq).toBe(2)
      })
    )
  })
