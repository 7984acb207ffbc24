import { Context, type Effect } from "effect"
import type { ApprovalDecisionV1, ApprovalRequestV1 } from "../contracts/Approval.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { Page } from "./cursor.js"
import type { ConflictError, NotFoundError, StorageError } from "./errors.js"

/** Where an approval stands. Every status but `pending` is final. */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "consumed"

/** An approval request and, once decided or expired, its decision. */
export interface ApprovalRecord {
  readonly customerInstanceId: string
  readonly approvalId: string
  readonly runId: string
  readonly status: ApprovalStatus
  readonly request: ApprovalRequestV1
  readonly decision?: ApprovalDecisionV1
  /** `request.expiresAt` in the stored form (`toISOString`), which compares as text. */
  readonly expiresAt: string
  /** When the approved call was started (status `consumed`): an approval allows one call, once. */
  readonly consumedAt?: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** Filters of `ApprovalStore.listPending`, oldest request first. */
export interface PendingApprovalQuery {
  readonly runId?: string
  readonly limit?: number
  readonly cursor?: string
}

/**
 * Approval requests and their single resolution. `resolve` is a compare-and-set: of two
 * concurrent resolutions exactly one wins, the other is `ConflictError("already-resolved")`.
 */
export interface ApprovalStoreShape {
  /**
   * Stores a pending request. Re-creating the same request is a no-op returning the stored
   * record; a different request under the same id is `ConflictError("already-exists")`.
   */
  readonly create: (
    customerInstanceId: string,
    request: ApprovalRequestV1
  ) => Effect.Effect<ApprovalRecord, InvalidInputError | ConflictError | StorageError>
  readonly get: (
    customerInstanceId: string,
    approvalId: string
  ) => Effect.Effect<ApprovalRecord, InvalidInputError | NotFoundError | StorageError>
  /** Pending requests whose deadline has not passed. */
  readonly listPending: (
    customerInstanceId: string,
    query?: PendingApprovalQuery
  ) => Effect.Effect<Page<ApprovalRecord>, InvalidInputError | StorageError>
  /**
   * Records the decision (`approved` or `denied`) once. It must name the request's run and
   * `argsHash` (`ConflictError("mismatch")` otherwise), arrive before `expiresAt`
   * (`"expired"`), and find the request still pending (`"already-resolved"`).
   */
  readonly resolve: (
    customerInstanceId: string,
    decision: ApprovalDecisionV1
  ) => Effect.Effect<ApprovalRecord, InvalidInputError | NotFoundError | ConflictError | StorageError>
  /**
   * Uses an approved request for the one call it allows: it must name the request's run, tool
   * and `argsHash` (`ConflictError("mismatch")`), be `approved` (`"already-resolved"` when it
   * was denied, expired or already consumed), and it is consumed by exactly one caller.
   */
  readonly consume: (
    customerInstanceId: string,
    approvalId: string,
    expected: { readonly runId: string; readonly toolName: string; readonly argsHash: string }
  ) => Effect.Effect<ApprovalRecord, InvalidInputError | NotFoundError | ConflictError | StorageError>
  /**
   * Marks pending requests whose deadline has passed as `expired` (a denial decided by the
   * system) and returns them, so the caller can audit each and move its run on.
   */
  readonly expire: (
    customerInstanceId: string,
    options?: { readonly limit?: number }
  ) => Effect.Effect<ReadonlyArray<ApprovalRecord>, InvalidInputError | StorageError>
}

/** The approval store port. */
export class ApprovalStore extends Context.Service<ApprovalStore, ApprovalStoreShape>()(
  "@bga/core/ApprovalStore"
) {}
