import type { ApprovalOutcome } from "../contracts/Approval.js"
import type { ModelMessage } from "../model/ModelMessage.js"
import type { ModelResponse } from "../model/ModelPort.js"
import { addStep, emptyUsage, type ModelPricing } from "./Budget.js"
import type { RunCheckpoint, ToolCallProgress } from "./Checkpoint.js"

/** The checkpoint of a run that has not taken a step: the user's input only. */
export const initialCheckpoint = (run: {
  readonly runId: string
  readonly customerInstanceId: string
  readonly traceId: string
  readonly input: string
}): RunCheckpoint => ({
  version: 2,
  runId: run.runId,
  customerInstanceId: run.customerInstanceId,
  traceId: run.traceId,
  messages: [{ role: "user", text: run.input }],
  usage: emptyUsage,
  toolCalls: [],
  outbox: []
})

/**
 * Records a model step: its message joins the conversation, its usage the total, and its tool
 * calls become the current step's work (all `pending`).
 */
export const recordModelStep = (
  checkpoint: RunCheckpoint,
  response: ModelResponse,
  pricing?: ModelPricing
): RunCheckpoint => {
  if (checkpoint.toolCalls.length > 0) {
    throw new Error("a model step was recorded while tool calls of the previous step are unfinished")
  }
  return {
    ...checkpoint,
    messages: [
      ...checkpoint.messages,
      { role: "assistant", text: response.text, toolCalls: response.toolCalls }
    ],
    usage: addStep(checkpoint.usage, response.usage, pricing),
    toolCalls: response.toolCalls.map((call) => ({ status: "pending", call }))
  }
}

/** Replaces the progress of one tool call of the current step (matched by call id). */
export const setToolCall = (checkpoint: RunCheckpoint, progress: ToolCallProgress): RunCheckpoint => {
  const index = checkpoint.toolCalls.findIndex((p) => p.call.id === progress.call.id)
  if (index < 0) throw new Error(`tool call ${progress.call.id} is not part of the current step`)
  const toolCalls = [...checkpoint.toolCalls]
  toolCalls[index] = progress
  return { ...checkpoint, toolCalls }
}

/**
 * The call the loop deals with next: the first unfinished call of the current step, in the
 * model's order (calls run one after another, so side effects happen in the order the model
 * asked for them). `pending` or `approved`: run it; `awaiting_approval`: wait; `started`:
 * recover it first (`planRecovery`). `undefined` when the step is done.
 */
export const nextToolCall = (checkpoint: RunCheckpoint): ToolCallProgress | undefined =>
  checkpoint.toolCalls.find((p) => p.status !== "finished")

/** True when every tool call of the current step has finished (or there were none). */
export const isStepDone = (checkpoint: RunCheckpoint): boolean =>
  checkpoint.toolCalls.every((p) => p.status === "finished")

/**
 * Ends the current step: the results join the conversation in the model's call order and the
 * next model step may start. Unchanged while a call is unfinished.
 */
export const closeStep = (checkpoint: RunCheckpoint): RunCheckpoint => {
  if (checkpoint.toolCalls.length === 0 || !isStepDone(checkpoint)) return checkpoint
  const results = checkpoint.toolCalls.flatMap(
    (p): Array<ModelMessage> =>
      p.status === "finished"
        ? [
            {
              role: "tool",
              toolCallId: p.call.id,
              toolName: p.call.name,
              result: p.result,
              isError: p.isError
            }
          ]
        : []
  )
  return { ...checkpoint, messages: [...checkpoint.messages, ...results], toolCalls: [] }
}

/**
 * Applies a human's decision to the call waiting for it. Approved: the call may start (the
 * approval covers its arguments once). Denied or expired: the call ends as an error the model
 * is shown; for a re-approval after a crash, the outcome stays unknown.
 */
export const resolveApproval = (
  checkpoint: RunCheckpoint,
  approvalId: string,
  outcome: ApprovalOutcome
): RunCheckpoint => {
  const waiting = checkpoint.toolCalls.find(
    (p) => p.status === "awaiting_approval" && p.approvalId === approvalId
  )
  if (waiting === undefined || waiting.status !== "awaiting_approval") {
    throw new Error(`no tool call of the current step waits for approval ${approvalId}`)
  }
  if (outcome === "approved") {
    return setToolCall(checkpoint, {
      status: "approved",
      call: waiting.call,
      argsHash: waiting.argsHash,
      approvalId,
      ...(waiting.retryOf === undefined ? {} : { retryOf: waiting.retryOf })
    })
  }
  const because = outcome === "denied" ? "an approver denied it" : "its approval expired"
  return setToolCall(checkpoint, {
    status: "finished",
    call: waiting.call,
    outcome: waiting.reapproval ? "outcome_unknown" : "denied",
    isError: true,
    result: waiting.reapproval
      ? `The call was interrupted and may or may not have taken effect; it was not run again because ${because}.`
      : `The call was not run because ${because}.`
  })
}
