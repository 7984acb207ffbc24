import { Clock, Effect, Option } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import type { AuditRecord } from "../audit/AuditRecord.js"
import type { ApprovalRecord } from "../storage/ApprovalStore.js"
import { ApprovalStore } from "../storage/ApprovalStore.js"
import type { KvEntry } from "../storage/KeyValue.js"
import { KeyValue } from "../storage/KeyValue.js"
import type { StoragePorts } from "../storage/ports.js"
import type { RunSnapshot } from "../storage/RunRecord.js"
import { RunStore } from "../storage/RunStore.js"
import { StorageReplica } from "../storage/StorageReplica.js"
import {
  approvalDecision,
  approvalRequest,
  policyDecision,
  runEvent,
  runRequest,
  toolInvocation
} from "./fixtures.js"

/**
 * Helpers for migration tests (dual-write, reconcile, rollback): a realistic burst of writes
 * through every port, and a full dump of an instance to compare two stores.
 */

/** Writes what one run of an agent leaves behind: run, lease, checkpoints, audit trail, approval, plugin state. */
export const exercise = (ci: string, label: string) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const approvals = yield* ApprovalStore
    const kv = yield* KeyValue
    const audit = yield* AuditLog
    const now = yield* Clock.currentTimeMillis
    const { run } = yield* runs.create(ci, runRequest(ci, { idempotencyKey: `req-${label}` }))
    const lease = yield* runs.acquireLease(ci, run.runId, { workerId: `worker-${label}`, ttlMs: 60_000 })
    yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 1, fence: lease })
    yield* audit.append(ci, {
      kind: "run_event",
      payload: runEvent(ci, run.runId, { type: "run.state_changed" })
    })
    const decision = policyDecision(ci, run.runId, { effect: "require_approval", requiresApproval: true })
    yield* audit.append(ci, { kind: "policy_decision", payload: decision })
    const request = approvalRequest(ci, run.runId, now, 3_600_000, { policyDecisionId: decision.decisionId })
    yield* approvals.create(ci, request)
    yield* audit.append(ci, { kind: "approval_request", payload: request })
    yield* runs.appendCheckpoint(ci, run.runId, { data: { step: "waiting", label }, fence: lease })
    yield* runs.transition(ci, run.runId, { to: "WAITING_APPROVAL", expectedVersion: 2, fence: lease })
    const resolved = yield* approvals.resolve(ci, approvalDecision(request, "approved", now))
    yield* approvals.consume(ci, request.approvalId, {
      runId: run.runId,
      toolName: request.toolName,
      argsHash: request.argsHash
    })
    yield* audit.appendAll(ci, [
      { kind: "approval_decision", payload: resolved.decision! },
      { kind: "tool_invocation", payload: toolInvocation(ci, run.runId, decision.decisionId) },
      {
        kind: "egress_event",
        eventType: "egress.allowed",
        runId: run.runId,
        payload: { host: "api.example.com" }
      }
    ])
    yield* runs.transition(ci, run.runId, { to: "RUNNING", expectedVersion: 3, fence: lease })
    yield* runs.transition(ci, run.runId, { to: "COMPLETED", expectedVersion: 4, fence: lease })
    yield* kv.set(ci, "@acme/crm", `cursor/${label}`, { page: 2, label })
    yield* kv.set(ci, "@acme/crm", "scratch", label)
    yield* kv.delete(ci, "@acme/crm", "scratch")
    return run.runId
  })

/** Everything stored for one instance, in a canonical order. */
export interface InstanceDump {
  readonly runs: ReadonlyArray<RunSnapshot>
  readonly approvals: ReadonlyArray<ApprovalRecord>
  readonly kv: ReadonlyArray<KvEntry>
  readonly audit: ReadonlyArray<AuditRecord>
}

/** Reads everything stored for one instance. */
export const dumpInstance = (ci: string): Effect.Effect<InstanceDump, unknown, StoragePorts> =>
  Effect.gen(function* () {
    const replica = yield* StorageReplica
    const audit = yield* AuditLog
    const runs: Array<RunSnapshot> = []
    for (;;) {
      const page = yield* replica.runs(ci, {
        limit: 500,
        ...(runs.length === 0 ? {} : { after: runs.at(-1)!.run.runId })
      })
      runs.push(...page)
      if (page.length < 500) break
    }
    const approvals: Array<ApprovalRecord> = []
    for (;;) {
      const page = yield* replica.approvals(ci, {
        limit: 500,
        ...(approvals.length === 0 ? {} : { after: approvals.at(-1)!.approvalId })
      })
      approvals.push(...page)
      if (page.length < 500) break
    }
    const kv: Array<KvEntry> = []
    for (;;) {
      const last = kv.at(-1)
      const page = yield* replica.kvEntries(ci, {
        limit: 500,
        ...(last === undefined ? {} : { after: [last.pluginId, last.key] as const })
      })
      kv.push(...page)
      if (page.length < 500) break
    }
    const records: Array<AuditRecord> = []
    const head = Option.getOrUndefined(yield* audit.head(ci))
    let from = 0
    while (head !== undefined) {
      const page = yield* audit.read(ci, { fromSeq: from, limit: 1000 })
      records.push(...page)
      if (page.length < 1000) break
      from = page.at(-1)!.seq + 1
    }
    return { runs, approvals, kv, audit: records }
  })
