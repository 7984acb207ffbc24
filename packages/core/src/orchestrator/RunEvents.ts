import type { Actor } from "../contracts/Actor.js"
import type { ApprovalOutcome } from "../contracts/Approval.js"
import type { RunEventType, RunEventV1 } from "../contracts/RunEvent.js"
import type { RunState } from "../contracts/RunState.js"
import type { ToolOutcome } from "../contracts/ToolInvocation.js"
import { newId, newTraceId } from "../ids.js"
import type { FinishReason, ModelUsage } from "../model/ModelMessage.js"
import type { BudgetExceeded } from "./Budget.js"
import type { RecoveryAction } from "./Recovery.js"
import type { RunTransition } from "./RunStateMachine.js"

/**
 * What every event of one run shares. The trace id is minted once when the run is created and
 * kept for the run's whole life (stored with the run), so every event, log line and audit record
 * of the run joins one W3C trace.
 */
export interface RunEventContext {
  readonly runId: string
  readonly customerInstanceId: string
  readonly environment: string
  readonly traceId: string
}

/** The event context of a run; a new trace id unless the run already has one. */
export const runEventContext = (
  run: { readonly runId: string; readonly customerInstanceId: string; readonly environment: string },
  traceId: string = newTraceId()
): RunEventContext => ({
  runId: run.runId,
  customerInstanceId: run.customerInstanceId,
  environment: run.environment,
  traceId
})

type Payload = RunEventV1["payload"]
type PayloadValue = Payload[string]

/** Drops `undefined` fields: a JSON payload has no such value. */
const compact = (fields: Record<string, PayloadValue | undefined>): Payload => {
  const out: Record<string, PayloadValue> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out
}

const build = (
  context: RunEventContext,
  type: RunEventType,
  phase: RunState,
  payload: Payload,
  now: Date | undefined
): RunEventV1 => ({
  version: 1,
  eventId: newId(),
  runId: context.runId,
  customerInstanceId: context.customerInstanceId,
  environment: context.environment,
  ts: (now ?? new Date()).toISOString(),
  type,
  phase,
  payload,
  traceId: context.traceId
})

/** Who did something, as recorded: kind and id only (names stay in the identity system). */
const actorRef = (actor: Actor) => ({ kind: actor.kind, id: actor.id })

/** `run.created`: the run exists and is QUEUED. */
export const runCreated = (
  context: RunEventContext,
  details: { readonly actor: Actor; readonly channel?: string; readonly idempotencyKey?: string },
  now?: Date
): RunEventV1 =>
  build(
    context,
    "run.created",
    "QUEUED",
    compact({
      actor: actorRef(details.actor),
      channel: details.channel,
      idempotencyKey: details.idempotencyKey
    }),
    now
  )

/**
 * `run.state_changed` for a transition accepted by `transition`: the one event per state change,
 * so a run's state history is exactly its `run.state_changed` events. The payload carries
 * `from`, `to`, the lifecycle event and its details (who cancelled and why, why it failed, ...).
 */
export const stateChanged = (context: RunEventContext, change: RunTransition, now?: Date): RunEventV1 => {
  const e = change.event
  const details: Record<string, PayloadValue | undefined> = (() => {
    switch (e.type) {
      case "start":
        return { workerId: e.workerId }
      case "await_approval":
        return { approvalId: e.approvalId, toolName: e.toolName }
      case "resume":
        return { approvalId: e.approvalId, approvalOutcome: e.outcome, workerId: e.workerId }
      case "requeue":
        return { reason: e.reason, previousWorkerId: e.previousWorkerId }
      case "complete":
        return {}
      case "fail":
        return { reason: e.reason, detail: e.detail }
      case "cancel":
        return { cancelledBy: actorRef(e.by), reason: e.reason }
    }
  })()
  return build(
    context,
    "run.state_changed",
    change.to,
    compact({ from: change.from, to: change.to, event: e.type, ...details }),
    now
  )
}

/** `run.model_step`: one model call, its usage and which tools it asked for. */
export const modelStep = (
  context: RunEventContext,
  phase: RunState,
  details: {
    readonly step: number
    readonly model: string
    readonly finishReason: FinishReason
    readonly usage: ModelUsage
    readonly toolCalls: ReadonlyArray<{ readonly id: string; readonly name: string }>
  },
  now?: Date
): RunEventV1 =>
  build(
    context,
    "run.model_step",
    phase,
    {
      step: details.step,
      model: details.model,
      finishReason: details.finishReason,
      usage: { inputTokens: details.usage.inputTokens, outputTokens: details.usage.outputTokens },
      toolCalls: details.toolCalls.map((c) => ({ id: c.id, name: c.name }))
    },
    now
  )

/** `run.tool_requested`: a tool call is handed to the tool runtime (arguments by hash only). */
export const toolRequested = (
  context: RunEventContext,
  phase: RunState,
  details: { readonly toolCallId: string; readonly toolName: string; readonly argsHash: string },
  now?: Date
): RunEventV1 => build(context, "run.tool_requested", phase, { ...details }, now)

/** `run.tool_completed`: how a tool call ended; the full record is the audited ToolInvocationV1. */
export const toolCompleted = (
  context: RunEventContext,
  phase: RunState,
  details: {
    readonly toolCallId: string
    readonly toolName: string
    readonly outcome: ToolOutcome
    readonly invocationId?: string
  },
  now?: Date
): RunEventV1 => build(context, "run.tool_completed", phase, compact({ ...details }), now)

/** `run.approval_requested`: a tool call waits for a human. */
export const approvalRequested = (
  context: RunEventContext,
  phase: RunState,
  details: {
    readonly approvalId: string
    readonly toolCallId: string
    readonly toolName: string
    readonly argsHash: string
    readonly expiresAt: string
    /** True when asking whether to repeat a call a crash interrupted. */
    readonly reapproval: boolean
  },
  now?: Date
): RunEventV1 => build(context, "run.approval_requested", phase, { ...details }, now)

/** `run.approval_resolved`: a human decided (or the approval expired), and who. */
export const approvalResolved = (
  context: RunEventContext,
  phase: RunState,
  details: { readonly approvalId: string; readonly outcome: ApprovalOutcome; readonly decidedBy: Actor },
  now?: Date
): RunEventV1 =>
  build(
    context,
    "run.approval_resolved",
    phase,
    { approvalId: details.approvalId, outcome: details.outcome, decidedBy: actorRef(details.decidedBy) },
    now
  )

/** `run.budget_exceeded`: which budget stopped the run. */
export const budgetExceeded = (
  context: RunEventContext,
  phase: RunState,
  exceeded: BudgetExceeded,
  now?: Date
): RunEventV1 => build(context, "run.budget_exceeded", phase, { ...exceeded }, now)

/** `run.output`: the model's final answer. */
export const output = (context: RunEventContext, phase: RunState, text: string, now?: Date): RunEventV1 =>
  build(context, "run.output", phase, { text }, now)

/** `run.recovered`: a run left by a dead worker was picked up, and what became of its tool calls. */
export const recovered = (
  context: RunEventContext,
  phase: RunState,
  details: {
    readonly fromStep: number
    readonly previousWorkerId?: string
    readonly actions: ReadonlyArray<RecoveryAction>
  },
  now?: Date
): RunEventV1 =>
  build(
    context,
    "run.recovered",
    phase,
    compact({
      fromStep: details.fromStep,
      previousWorkerId: details.previousWorkerId,
      actions: details.actions.map((a) => ({
        action: a.action,
        toolCallId: a.toolCallId,
        toolName: a.toolName,
        invocationId: a.invocationId
      }))
    }),
    now
  )
