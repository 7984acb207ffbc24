import { Effect, Result } from "effect"
import type { Actor } from "../../contracts/Actor.js"
import type { ApprovalDecisionV1 } from "../../contracts/Approval.js"
import type { ApprovalRecord } from "../../storage/ApprovalStore.js"
import { ApprovalResolveError } from "../ToolRuntimeError.js"
import type { ToolRuntimeDeps } from "./invoke.js"

/** What an approver says about one pending approval. */
export interface ResolveApprovalInput {
  readonly approvalId: string
  readonly actor: Actor
  readonly environment: string
  readonly outcome: "approved" | "denied"
  readonly reason?: string | undefined
}

/** The actor recorded for decisions BGA makes itself (expiry). */
export const systemActor: Actor = { kind: "system", id: "bga", roles: [] }

const storeError = (approvalId: string) => (error: { readonly message: string }) =>
  new ApprovalResolveError({ reason: "store-unavailable", approvalId, detail: error.message })

/**
 * Resolves an approval: the resolver must be allowed `approval.resolve` on it by policy (the
 * decision is audited either way), then the store records the decision exactly once.
 */
export const makeResolveApproval =
  (deps: ToolRuntimeDeps) =>
  (
    customerInstanceId: string,
    input: ResolveApprovalInput
  ): Effect.Effect<ApprovalRecord, ApprovalResolveError> =>
    Effect.gen(function* () {
      const now = deps.now ?? (() => new Date())
      const { approvalId } = input
      const found = yield* Effect.result(deps.approvals.get(customerInstanceId, approvalId))
      if (Result.isFailure(found)) {
        const error = found.failure
        return yield* Effect.fail(
          error._tag === "@bga/core/StorageError"
            ? storeError(approvalId)(error)
            : new ApprovalResolveError({
                reason: "not-found",
                approvalId,
                detail: "no such approval in this customer instance"
              })
        )
      }
      const record = found.success
      const decision = deps.policy.decide({
        subject: { actor: input.actor, customerInstanceId, environment: input.environment },
        action: "approval.resolve",
        resource: { kind: "approval", name: approvalId, attributes: { toolName: record.request.toolName } },
        context: { runId: record.runId }
      })
      yield* Effect.mapError(
        deps.audit.append(customerInstanceId, { kind: "policy_decision", payload: decision }),
        storeError(approvalId)
      )
      if (decision.effect !== "allow") {
        return yield* Effect.fail(
          new ApprovalResolveError({
            reason: "forbidden",
            approvalId,
            detail: `not allowed to resolve approvals: ${decision.rationale}`
          })
        )
      }
      const resolution: ApprovalDecisionV1 = {
        version: 1,
        approvalId,
        runId: record.runId,
        customerInstanceId,
        argsHash: record.request.argsHash,
        outcome: input.outcome,
        decidedBy: input.actor,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        decidedAt: now().toISOString(),
        policyDecisionId: decision.decisionId
      }
      const resolved = yield* Effect.result(deps.approvals.resolve(customerInstanceId, resolution))
      if (Result.isFailure(resolved)) {
        const error = resolved.failure
        if (error._tag === "@bga/core/ConflictError") {
          const reason = error.reason === "expired" ? "expired" : "already-resolved"
          return yield* Effect.fail(new ApprovalResolveError({ reason, approvalId, detail: error.message }))
        }
        if (error._tag === "@bga/core/InvalidInputError") {
          return yield* Effect.fail(
            new ApprovalResolveError({ reason: "invalid-request", approvalId, detail: error.message })
          )
        }
        return yield* Effect.fail(
          error._tag === "@bga/core/NotFoundError"
            ? new ApprovalResolveError({ reason: "not-found", approvalId, detail: error.message })
            : storeError(approvalId)(error)
        )
      }
      yield* Effect.mapError(
        deps.audit.append(customerInstanceId, { kind: "approval_decision", payload: resolution }),
        storeError(approvalId)
      )
      return resolved.success
    })

/**
 * Expires the pending approvals of an instance whose deadline has passed. Each expiry is a
 * denial by the system, audited, and returned so the orchestrator can move its run on.
 */
export const makeExpireApprovals =
  (deps: ToolRuntimeDeps) =>
  (customerInstanceId: string): Effect.Effect<ReadonlyArray<ApprovalRecord>, ApprovalResolveError> =>
    Effect.gen(function* () {
      const expired = yield* Effect.mapError(deps.approvals.expire(customerInstanceId), storeError("*"))
      for (const record of expired) {
        if (record.decision === undefined) continue
        yield* Effect.mapError(
          deps.audit.append(customerInstanceId, { kind: "approval_decision", payload: record.decision }),
          storeError(record.approvalId)
        )
      }
      return expired
    })
