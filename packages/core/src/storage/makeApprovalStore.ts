import { Clock, Effect, type Result } from "effect"
import { ApprovalDecisionV1, ApprovalRequestV1 } from "../contracts/Approval.js"
import { decodeUnknown } from "../contracts/decode.js"
import { hashOf } from "../hash.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ApprovalRecord, ApprovalStoreShape } from "./ApprovalStore.js"
import type { ApprovalBackend } from "./backend.js"
import { decodeCursor, encodeCursor } from "./cursor.js"
import { ConflictError, NotFoundError } from "./errors.js"
import { checkId, checkInstanceId, checkLimit, checkObject, invalidArgument, isoOf } from "./validate.js"

const check = <A>(result: Result.Result<A, InvalidInputError>) => Effect.fromResult(result)

/** The actor recorded on decisions BGA makes itself (expiry). */
export const systemActor = { kind: "system", id: "bga", roles: [] } as const

/**
 * Builds the `ApprovalStore` port over a backend: contract decoding, instance and argument
 * binding checks, and the single compare-and-set resolution.
 */
export const makeApprovalStore = (backend: ApprovalBackend): ApprovalStoreShape => {
  const load = (ci: string, id: string) =>
    Effect.flatMap(backend.getApproval(ci, id), (record) =>
      record === undefined
        ? Effect.fail(new NotFoundError({ entity: "approval", customerInstanceId: ci, id }))
        : Effect.succeed(record)
    )

  return {
    create: (ci, request) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.create"
        const instance = yield* check(checkInstanceId(subject, ci))
        const req = yield* check(decodeUnknown(ApprovalRequestV1, "ApprovalRequestV1")(request))
        if (req.customerInstanceId !== instance) {
          return yield* invalidArgument(
            subject,
            "$.request.customerInstanceId",
            "the request names another customer instance than the one it is stored in"
          )
        }
        const at = isoOf(yield* Clock.currentTimeMillis)
        const record: ApprovalRecord = {
          customerInstanceId: instance,
          approvalId: req.approvalId,
          runId: req.runId,
          status: "pending",
          request: req,
          expiresAt: isoOf(Date.parse(req.expiresAt)),
          createdAt: at,
          updatedAt: at
        }
        const outcome = yield* backend.insertApproval(record)
        if (outcome.inserted) return record
        if (hashOf(outcome.existing.request) === hashOf(req)) return outcome.existing
        return yield* new ConflictError({
          reason: "already-exists",
          entity: "approval",
          id: req.approvalId,
          detail: "the approval id is taken by a different request"
        })
      }),

    get: (ci, approvalId) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.get"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.approvalId", approvalId))
        return yield* load(instance, id)
      }),

    listPending: (ci, query) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.listPending"
        const instance = yield* check(checkInstanceId(subject, ci))
        const q = yield* check(checkObject(subject, "$.query", query, ["runId", "limit", "cursor"]))
        const runId = q.runId === undefined ? undefined : yield* check(checkId(subject, "$.runId", q.runId))
        const limit = yield* check(checkLimit(subject, q.limit))
        const binding = {
          scope: "approvals.pending",
          customerInstanceId: instance,
          filters: { runId: runId ?? null }
        }
        const position = yield* check(decodeCursor(subject, q.cursor, binding))
        if (position !== undefined && typeof position !== "string") {
          return yield* invalidArgument(subject, "$.cursor", "not a cursor of this list")
        }
        const now = isoOf(yield* Clock.currentTimeMillis)
        const rows = yield* backend.listPending(instance, {
          ...(runId === undefined ? {} : { runId }),
          now,
          ...(position === undefined ? {} : { after: position }),
          limit: limit + 1
        })
        const items = rows.slice(0, limit)
        const last = items.at(-1)
        return rows.length > limit && last !== undefined
          ? { items, nextCursor: encodeCursor(binding, last.approvalId) }
          : { items }
      }),

    resolve: (ci, decision) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.resolve"
        const instance = yield* check(checkInstanceId(subject, ci))
        const dec = yield* check(decodeUnknown(ApprovalDecisionV1, "ApprovalDecisionV1")(decision))
        if (dec.customerInstanceId !== instance) {
          return yield* invalidArgument(
            subject,
            "$.decision.customerInstanceId",
            "the decision names another customer instance than the one it is stored in"
          )
        }
        if (dec.outcome === "expired") {
          return yield* invalidArgument(
            subject,
            "$.decision.outcome",
            'expiry is recorded by expire(); resolve takes "approved" or "denied"'
          )
        }
        const current = yield* load(instance, dec.approvalId)
        if (current.runId !== dec.runId || current.request.argsHash !== dec.argsHash) {
          return yield* new ConflictError({
            reason: "mismatch",
            entity: "approval",
            id: dec.approvalId,
            detail: "the decision names another run or other arguments than the request"
          })
        }
        const now = isoOf(yield* Clock.currentTimeMillis)
        const next: ApprovalRecord = { ...current, status: dec.outcome, decision: dec, updatedAt: now }
        if (yield* backend.settleApproval(next, now, "decide")) return next
        const after = yield* load(instance, dec.approvalId)
        return yield* new ConflictError(
          after.status === "pending"
            ? {
                reason: "expired",
                entity: "approval",
                id: dec.approvalId,
                detail: `the request expired at ${after.expiresAt}`
              }
            : {
                reason: "already-resolved",
                entity: "approval",
                id: dec.approvalId,
                detail: `it is already ${after.status}`
              }
        )
      }),

    consume: (ci, approvalId, expected) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.consume"
        const instance = yield* check(checkInstanceId(subject, ci))
        const id = yield* check(checkId(subject, "$.approvalId", approvalId))
        const current = yield* load(instance, id)
        if (
          current.runId !== expected.runId ||
          current.request.toolName !== expected.toolName ||
          current.request.argsHash !== expected.argsHash
        ) {
          return yield* new ConflictError({
            reason: "mismatch",
            entity: "approval",
            id,
            detail: "the approval was given for another run, tool or arguments"
          })
        }
        const now = isoOf(yield* Clock.currentTimeMillis)
        const next: ApprovalRecord = { ...current, status: "consumed", consumedAt: now, updatedAt: now }
        if (current.status === "approved" && (yield* backend.settleApproval(next, now, "consume")))
          return next
        const after = yield* load(instance, id)
        return yield* new ConflictError({
          reason: "already-resolved",
          entity: "approval",
          id,
          detail:
            after.status === "consumed"
              ? "it was already used for its call"
              : `it is ${after.status}, not approved`
        })
      }),

    expire: (ci, options) =>
      Effect.gen(function* () {
        const subject = "ApprovalStore.expire"
        const instance = yield* check(checkInstanceId(subject, ci))
        const obj = yield* check(checkObject(subject, "$.options", options, ["limit"]))
        const limit = yield* check(checkLimit(subject, obj.limit))
        const now = isoOf(yield* Clock.currentTimeMillis)
        const due = yield* backend.listDue(instance, now, limit)
        const expired: Array<ApprovalRecord> = []
        for (const record of due) {
          const next: ApprovalRecord = {
            ...record,
            status: "expired",
            decision: {
              version: 1,
              approvalId: record.approvalId,
              runId: record.runId,
              customerInstanceId: instance,
              argsHash: record.request.argsHash,
              outcome: "expired",
              decidedBy: { ...systemActor, roles: [] },
              reason: `no decision before ${record.request.expiresAt}`,
              decidedAt: now
            },
            updatedAt: now
          }
          // A concurrent resolve or expire may win; then this record is simply not ours to report.
          if (yield* backend.settleApproval(next, now, "expire")) expired.push(next)
        }
        return expired
      })
  }
}
