import { Context, type Effect, Schema } from "effect"
import type { Actor } from "../contracts/Actor.js"
import type { RunEventV1 } from "../contracts/RunEvent.js"
import type { RunRequestV2 } from "../contracts/RunRequest.js"
import type { RunState } from "../contracts/RunState.js"
import type { InvalidInputError } from "../json/JsonError.js"
import type { ApprovalRecord } from "../storage/ApprovalStore.js"
import type { Page } from "../storage/cursor.js"
import type { RunRecord } from "../storage/RunRecord.js"
import type { ResolveApprovalInput } from "../tools/internal/approvals.js"
import type { ApprovalResolveError } from "../tools/ToolRuntimeError.js"

/** Why a run ended FAILED or CANCELLED. */
export interface RunEndReason {
  /** Stable code: `cancelled`, `budget_exceeded`, `max_steps`, `outcome_unknown`, `approval_denied`, `model_error`, ... */
  readonly code: string
  readonly message: string
  /** Who cancelled, for `cancelled`. */
  readonly actor?: Actor
}

/** A run as callers see it: the stored record plus what its checkpoints say about it. */
export interface RunView {
  readonly run: RunRecord
  /** The final answer, once COMPLETED. */
  readonly output?: string
  readonly endReason?: RunEndReason
  /** The approval the run waits for, in WAITING_APPROVAL. */
  readonly pendingApprovalId?: string
  readonly usage: {
    readonly steps: number
    readonly toolCalls: number
    readonly inputTokens: number
    readonly outputTokens: number
  }
}

/** Filters of `runs.list`, newest first. */
export interface RunListQuery {
  readonly state?: RunState
  readonly actorId?: string
  readonly limit?: number
  readonly cursor?: string
}

/** A runs method could not do what was asked. */
export class OrchestratorError extends Schema.TaggedError<OrchestratorError>()(
  "@bga/core/OrchestratorError",
  {
    reason: Schema.Literals([
      "not-found",
      "idempotency-conflict",
      "queue-full",
      "already-ended",
      "forbidden",
      "budget-exhausted",
      "store-unavailable"
    ]),
    detail: Schema.String,
    runId: Schema.optionalKey(Schema.String)
  }
) {
  override get message(): string {
    return `${this.reason}${this.runId ? ` (run ${this.runId})` : ""}: ${this.detail}`
  }
}

/**
 * The run orchestrator: `runs.create`, `runs.get`, `runs.list`, `runs.cancel` and the approval
 * resume path, the same for every channel. Runs execute on per-customer-instance lanes in the
 * background; every transition is persisted, emitted as a `RunEventV1` and audited.
 */
export interface OrchestratorShape {
  /** Creates a run (or returns the existing one for a reused idempotency key) and queues it. */
  readonly create: (
    request: RunRequestV2
  ) => Effect.Effect<
    { readonly run: RunView; readonly created: boolean },
    OrchestratorError | InvalidInputError
  >
  readonly get: (
    customerInstanceId: string,
    runId: string
  ) => Effect.Effect<RunView, OrchestratorError | InvalidInputError>
  readonly list: (
    customerInstanceId: string,
    query?: RunListQuery
  ) => Effect.Effect<Page<RunView>, OrchestratorError | InvalidInputError>
  /** Cancels a live run; its AbortSignal reaches the model call and the tool handler in flight. */
  readonly cancel: (
    customerInstanceId: string,
    runId: string,
    by: { readonly actor: Actor; readonly reason?: string }
  ) => Effect.Effect<RunView, OrchestratorError | InvalidInputError>
  /** The run's timeline, oldest first. */
  readonly events: (
    customerInstanceId: string,
    runId: string,
    options?: { readonly cursor?: string; readonly limit?: number }
  ) => Effect.Effect<Page<RunEventV1>, OrchestratorError | InvalidInputError>
  /** Resolves an approval and resumes its run from the checkpoint. */
  readonly resolveApproval: (
    customerInstanceId: string,
    input: ResolveApprovalInput
  ) => Effect.Effect<ApprovalRecord, ApprovalResolveError>
  /** Resolves once every run it holds has reached a terminal state or a wait (tests, demos). */
  readonly awaitIdle: Effect.Effect<void>
}

/** The orchestrator port. */
export class Orchestrator extends Context.Service<Orchestrator, OrchestratorShape>()(
  "@bga/core/Orchestrator"
) {}
