import { Schema } from "effect"
import type { RunCheckpoint } from "./Checkpoint.js"
import { setToolCall } from "./CheckpointSteps.js"

/**
 * What to do with a call to a non-idempotent tool that started and has no recorded end after a
 * crash: fail the run with reason `outcome_unknown` (default), or ask a human whether to run it
 * again. Never a silent second execution.
 */
export const NonIdempotentRecovery = Schema.Literals(["fail", "require_approval"])
export type NonIdempotentRecovery = typeof NonIdempotentRecovery.Type

/** The decision for one interrupted tool call. */
export type RecoveryAction =
  | {
      /** The tool is idempotent: run it again (same arguments, linked to the first invocation). */
      readonly action: "rerun"
      readonly toolCallId: string
      readonly toolName: string
      readonly invocationId: string
    }
  | {
      /** Not idempotent: the call's outcome is unknown and the run fails. */
      readonly action: "fail"
      readonly toolCallId: string
      readonly toolName: string
      readonly invocationId: string
    }
  | {
      /** Not idempotent: ask a human whether to run it again (the run waits for approval). */
      readonly action: "reapprove"
      readonly toolCallId: string
      readonly toolName: string
      readonly invocationId: string
      readonly argsHash: string
    }

/** How a run resumes after its worker died, and its checkpoint with the decisions applied. */
export interface RecoveryPlan {
  readonly actions: ReadonlyArray<RecoveryAction>
  /**
   * `resume`: continue the loop. `fail`: end the run FAILED with reason `outcome_unknown`.
   * `await_approval`: create an approval request for each `reapprove` action (then mark the
   * call `awaiting_approval` with `reapproval: true`) and wait.
   */
  readonly next: "resume" | "fail" | "await_approval"
  readonly checkpoint: RunCheckpoint
}

/** The tool result the model would see for a call whose outcome is unknown. */
export const outcomeUnknownResult =
  "The process running this call stopped before the call finished; it may or may not have taken effect, and it was not run again."

/**
 * Decides what happens to each tool call that a crash interrupted (status `started`). Pure:
 * the orchestrator applies the plan when it picks up a run left RUNNING by a dead worker.
 * Calls that had not started are simply run (they never ran); calls waiting for a human keep
 * waiting.
 *
 * @example
 * ```ts
 * const plan = planRecovery(checkpoint, { nonIdempotent: "fail" })
 * if (plan.next === "fail") // transition { type: "fail", reason: "outcome_unknown", ... }
 * ```
 */
export const planRecovery = (
  checkpoint: RunCheckpoint,
  options: { readonly nonIdempotent: NonIdempotentRecovery }
): RecoveryPlan => {
  const actions: Array<RecoveryAction> = []
  let next = checkpoint
  for (const progress of checkpoint.toolCalls) {
    if (progress.status !== "started") continue
    const base = {
      toolCallId: progress.call.id,
      toolName: progress.call.name,
      invocationId: progress.invocationId
    }
    if (progress.idempotent) {
      actions.push({ action: "rerun", ...base })
      next = setToolCall(
        next,
        progress.approvalId === undefined
          ? { status: "pending", call: progress.call, retryOf: progress.invocationId }
          : {
              status: "approved",
              call: progress.call,
              argsHash: progress.argsHash,
              approvalId: progress.approvalId,
              retryOf: progress.invocationId
            }
      )
    } else if (options.nonIdempotent === "require_approval") {
      actions.push({ action: "reapprove", ...base, argsHash: progress.argsHash })
    } else {
      actions.push({ action: "fail", ...base })
      next = setToolCall(next, {
        status: "finished",
        call: progress.call,
        outcome: "outcome_unknown",
        isError: true,
        result: outcomeUnknownResult,
        invocationId: progress.invocationId
      })
    }
  }
  const waiting = next.toolCalls.some((p) => p.status === "awaiting_approval")
  return {
    actions,
    next: actions.some((a) => a.action === "fail")
      ? "fail"
      : actions.some((a) => a.action === "reapprove") || waiting
        ? "await_approval"
        : "resume",
    checkpoint: next
  }
}
