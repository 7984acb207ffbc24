import { Result, Schema } from "effect"
import type { Actor } from "../contracts/Actor.js"
import type { ApprovalOutcome } from "../contracts/Approval.js"
import { RunState, terminalRunStates } from "../contracts/RunState.js"

/**
 * The legal state changes of a run (docs/adr/0003-run-lifecycle.md). Every other pair,
 * including staying in the same state, is illegal; terminal states have no way out.
 *
 * - `QUEUED -> RUNNING`: a worker took the run (it holds a lane slot and a lease).
 * - `RUNNING -> WAITING_APPROVAL`: a tool call needs a human; the run is checkpointed and the
 *   worker and lane slot are released.
 * - `WAITING_APPROVAL -> RUNNING`: the approval was resolved (approved, denied or expired) and a
 *   worker resumed the run from its checkpoint.
 * - `RUNNING -> QUEUED`: the worker's lease was lost (it died, stalled or shut down); the run
 *   waits for another worker and resumes from its last checkpoint.
 * - `RUNNING -> COMPLETED`: the model gave its final answer.
 * - `QUEUED | RUNNING | WAITING_APPROVAL -> FAILED`: a step failed, a budget ran out, the
 *   outcome of a tool call is unknown after a crash, or a checkpoint cannot be read.
 * - `QUEUED | RUNNING | WAITING_APPROVAL -> CANCELLED`: someone cancelled the run.
 */
export const runTransitions: Readonly<Record<RunState, ReadonlyArray<RunState>>> = {
  QUEUED: ["RUNNING", "FAILED", "CANCELLED"],
  RUNNING: ["WAITING_APPROVAL", "QUEUED", "COMPLETED", "FAILED", "CANCELLED"],
  WAITING_APPROVAL: ["RUNNING", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: []
}

/** True when a run may go from `from` to `to`. */
export const isLegalTransition = (from: RunState, to: RunState): boolean => runTransitions[from].includes(to)

/** True when the run can no longer change. */
export const isTerminal = (state: RunState): boolean => terminalRunStates.has(state)

/**
 * Why a run stopped with FAILED. `approval_denied` is used only when the orchestrator is set to
 * end a run on a denied or expired approval (by default the model is told and goes on).
 */
export const RunFailureReason = Schema.Literals([
  "model_error",
  "budget_exceeded",
  "outcome_unknown",
  "checkpoint_invalid",
  "approval_denied",
  "internal_error"
])
export type RunFailureReason = typeof RunFailureReason.Type

/** Why a running run went back to the queue. */
export const RequeueReason = Schema.Literals(["lease_expired", "worker_stopped"])
export type RequeueReason = typeof RequeueReason.Type

/**
 * What happens to a run. Each event has exactly one target state, and each legal pair of states
 * is reached by exactly one event, so the history of events is the history of states.
 */
export type RunLifecycleEvent =
  | { readonly type: "start"; readonly workerId: string }
  | { readonly type: "await_approval"; readonly approvalId: string; readonly toolName: string }
  | {
      readonly type: "resume"
      readonly approvalId: string
      readonly outcome: ApprovalOutcome
      readonly workerId: string
    }
  | { readonly type: "requeue"; readonly reason: RequeueReason; readonly previousWorkerId?: string }
  | { readonly type: "complete" }
  | { readonly type: "fail"; readonly reason: RunFailureReason; readonly detail: string }
  | { readonly type: "cancel"; readonly by: Actor; readonly reason?: string }

/** The kinds of lifecycle event. */
export type RunLifecycleEventType = RunLifecycleEvent["type"]

/** Where each event takes a run, and from which states it may happen. */
export const lifecycleEvents: Readonly<
  Record<RunLifecycleEventType, { readonly to: RunState; readonly from: ReadonlyArray<RunState> }>
> = {
  start: { to: "RUNNING", from: ["QUEUED"] },
  await_approval: { to: "WAITING_APPROVAL", from: ["RUNNING"] },
  resume: { to: "RUNNING", from: ["WAITING_APPROVAL"] },
  requeue: { to: "QUEUED", from: ["RUNNING"] },
  complete: { to: "COMPLETED", from: ["RUNNING"] },
  fail: { to: "FAILED", from: ["QUEUED", "RUNNING", "WAITING_APPROVAL"] },
  cancel: { to: "CANCELLED", from: ["QUEUED", "RUNNING", "WAITING_APPROVAL"] }
}

/** A state change that `transition` accepted. */
export interface RunTransition<E extends RunLifecycleEvent = RunLifecycleEvent> {
  readonly from: RunState
  readonly to: RunState
  readonly event: E
}

/**
 * A state change the lifecycle does not allow: a run that has ended cannot change again
 * (`run-ended`), and a live run only takes the events its state accepts (`not-allowed`).
 * It reaches API callers (cancelling a finished run), so it is a schema error.
 */
export class IllegalTransitionError extends Schema.TaggedError<IllegalTransitionError>()(
  "@bga/core/IllegalTransitionError",
  {
    reason: Schema.Literals(["run-ended", "not-allowed"]),
    runId: Schema.optionalKey(Schema.String),
    from: RunState,
    to: RunState,
    event: Schema.String
  }
) {
  override get message(): string {
    const run = this.runId === undefined ? "run" : `run ${this.runId}`
    const why =
      this.reason === "run-ended"
        ? `the run has already ended (${this.from})`
        : `from ${this.from} a run may only go to ${runTransitions[this.from].join(", ")}`
    return `${run} cannot go from ${this.from} to ${this.to} (${this.event}): ${why}`
  }
}

/**
 * Checks one lifecycle event against the run's current state. Pure: the caller persists the
 * new state (compare-and-set on the old one) and emits the event built by `stateChangedEvent`.
 *
 * @example
 * ```ts
 * const next = transition({ state: "QUEUED" }, { type: "start", workerId: "w-1" })
 * // Result.succeed({ from: "QUEUED", to: "RUNNING", event })
 * ```
 */
export const transition = <E extends RunLifecycleEvent>(
  run: { readonly state: RunState; readonly runId?: string },
  event: E
): Result.Result<RunTransition<E>, IllegalTransitionError> => {
  const rule = lifecycleEvents[event.type]
  if (rule.from.includes(run.state) && isLegalTransition(run.state, rule.to)) {
    return Result.succeed({ from: run.state, to: rule.to, event })
  }
  return Result.fail(
    new IllegalTransitionError({
      reason: isTerminal(run.state) ? "run-ended" : "not-allowed",
      ...(run.runId === undefined ? {} : { runId: run.runId }),
      from: run.state,
      to: rule.to,
      event: event.type
    })
  )
}
